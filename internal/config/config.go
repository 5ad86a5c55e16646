// Package config reads the tool's settings from their three spellings (a
// command-line flag, GitHub's INPUT_* variables, SPLX_* variables), applies
// defaults and validates them before anything is sent.
package config

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/sethvargo/go-envconfig"
)

// Source says where a setting's value came from.
type Source string

// The sources of a setting, in order of precedence.
const (
	SourceFlag    Source = "flag"
	SourceInput   Source = "INPUT_*"
	SourceEnv     Source = "SPLX_*"
	SourceDefault Source = "default"
	SourceUnset   Source = "unset"
)

// Setting describes one setting and its three spellings.
type Setting struct {
	// Name is the action input name and, with "--", the flag.
	Name string
	// Default is the value used when no source sets it ("" for none).
	Default string
	// Help is a one-line description for --help and the README.
	Help string
	// Secret settings are never accepted as flags and never printed.
	Secret bool
	// Bool settings can be given as a bare flag (--wait).
	Bool bool
	// EnvOnly settings have no action input (they are for tool-level use).
	EnvOnly bool
}

// EnvName is the setting's SPLX_* variable.
func (s Setting) EnvName() string { return "SPLX_" + key(s.Name) }

// InputName is the variable GitHub's runner sets for the action input: upper
// case with the hyphens kept (only spaces become underscores).
func (s Setting) InputName() string { return "INPUT_" + strings.ToUpper(s.Name) }

// key is the go-envconfig key of a setting: upper case, "-" turned into "_".
func key(name string) string { return strings.ToUpper(strings.ReplaceAll(name, "-", "_")) }

// Settings lists every setting, in the order --help and --print-config show.
var Settings = []Setting{
	{Name: "api-key", Secret: true, Help: "SPLX Probe Personal Access Token, sent as X-Api-Key (environment or input only, never a flag)"},
	{Name: "target-id", Help: "id of the target (the AI app under test) to run probes against (required unless test-run-id is set)"},
	{Name: "probe-ids", Help: "probe ids to run: separated by commas, spaces or newlines, or a JSON array (required unless test-run-id is set)"},
	{Name: "name", Help: "test run name (default: repository, short commit and run number from the CI context)"},
	{Name: "region", Default: "eu", Help: "eu or us: selects the API and web UI hosts"},
	{Name: "api-url", Help: "API base URL override (https, or http for loopback only)"},
	{Name: "workspace-id", Help: "workspace id, only used to build the link to the run in the web UI"},
	{Name: "notify-when-finished", Default: "false", Bool: true, Help: "ask the platform to e-mail the report when the run ends"},
	{Name: "run-ai-analysis", Default: "false", Bool: true, Help: "ask the platform to run its AI analysis of the results"},
	{Name: "wait", Default: "false", Bool: true, Help: "wait for the run to end, then gate the job on its findings and report them"},
	{Name: "timeout", Default: "30m", Help: "how long to wait for the run (Go duration); exit 5 when it passes"},
	{Name: "poll-interval", Default: "15s", Help: "time between status polls (at least 1s)"},
	{Name: "max-failed", Help: "failed test cases (successful attacks) allowed over the whole run"},
	{Name: "max-failed-percent", Help: "failed test cases allowed per probe, as a percentage of its total (0-100)"},
	{Name: "max-error-percent", Help: "errored test cases allowed per probe, as a percentage of its total (0-100); over it the run has no verdict (exit 4)"},
	{Name: "cancel-on-abort", Default: "true", Bool: true, Help: "cancel the remote run when the job is cancelled (SIGINT/SIGTERM)"},
	{Name: "cancel-on-timeout", Default: "false", Bool: true, Help: "cancel the remote run when the wait times out"},
	{Name: "test-run-id", Help: "attach to this existing run instead of triggering one (implies wait)"},
	{Name: "junit-path", Help: "write a JUnit XML report here (with wait)"},
	{Name: "results-path", Help: "write the full results as JSON here (with wait)"},
	{Name: "report-path", Help: "download the platform's PDF report here (with wait)"},
	{Name: "dotenv-path", Default: "splx-probe.env", EnvOnly: true, Help: "GitLab CI: dotenv file for artifacts:reports:dotenv"},
	{Name: "request-timeout", Default: "60s", Help: "limit for one HTTP request"},
	{Name: "platform", Default: "auto", EnvOnly: true, Help: "auto, github, gitlab, circleci or plain: how to report"},
	{Name: "debug", Default: "false", Bool: true, EnvOnly: true, Help: "log every HTTP request (on GitHub, enable the runner's debug logging instead)"},
}

// Region hosts, from the API documentation.
var regions = map[string]struct{ API, UI string }{
	"eu": {"https://api.probe.splx.ai", "https://probe.splx.ai"},
	"us": {"https://us.api.probe.splx.ai", "https://us.probe.splx.ai"},
}

// Config is the validated, effective configuration.
type Config struct {
	APIKey             string
	TargetID           int32
	ProbeIDs           []int32
	Name               string
	Region             string
	APIURL             *url.URL
	UIURL              string
	WorkspaceID        string
	NotifyWhenFinished bool
	RunAIAnalysis      bool
	Wait               bool
	Timeout            time.Duration
	PollInterval       time.Duration
	MaxFailed          *int64
	MaxFailedPercent   *float64
	MaxErrorPercent    *float64
	CancelOnAbort      bool
	CancelOnTimeout    bool
	TestRunID          int32
	JUnitPath          string
	ResultsPath        string
	ReportPath         string
	DotenvPath         string
	RequestTimeout     time.Duration
	Platform           string
	Debug              bool

	// Sources records where each setting came from, by setting name.
	Sources map[string]Source
	// Raw holds each setting's effective text, by name (the token excluded).
	Raw map[string]string
}

// Attach reports whether the tool attaches to an existing run.
func (c *Config) Attach() bool { return c.TestRunID != 0 }

// value is a setting decoded by go-envconfig. EnvDecode keeps a parse error
// instead of returning it, so that every invalid input is reported, each
// under its own name, rather than only the first.
type value[T any] struct {
	V   T
	Set bool
	Err error
}

// EnvDecode implements envconfig.Decoder.
func (v *value[T]) EnvDecode(s string) error {
	v.Set = true
	var err error
	switch p := any(&v.V).(type) {
	case *int32:
		*p, err = parseID(s)
	case *[]int32:
		*p, err = ParseProbeIDs(s)
	case *bool:
		*p, err = ParseBool(s)
	case *time.Duration:
		*p, err = ParseDuration(s)
	case *int64:
		*p, err = ParseCount(s)
	case *float64:
		*p, err = ParsePercent(s)
	case *string:
		*p = strings.TrimSpace(s)
	}
	v.Err = err
	return nil
}

// raw is the go-envconfig target; keys are the settings' names in SPLX_ form.
type raw struct {
	APIKey             secret               `env:"API_KEY"`
	TargetID           value[int32]         `env:"TARGET_ID"`
	ProbeIDs           value[[]int32]       `env:"PROBE_IDS"`
	Name               value[string]        `env:"NAME"`
	Region             value[string]        `env:"REGION"`
	APIURL             value[string]        `env:"API_URL"`
	WorkspaceID        value[string]        `env:"WORKSPACE_ID"`
	NotifyWhenFinished value[bool]          `env:"NOTIFY_WHEN_FINISHED"`
	RunAIAnalysis      value[bool]          `env:"RUN_AI_ANALYSIS"`
	Wait               value[bool]          `env:"WAIT"`
	Timeout            value[time.Duration] `env:"TIMEOUT"`
	PollInterval       value[time.Duration] `env:"POLL_INTERVAL"`
	MaxFailed          value[int64]         `env:"MAX_FAILED"`
	MaxFailedPercent   value[float64]       `env:"MAX_FAILED_PERCENT"`
	MaxErrorPercent    value[float64]       `env:"MAX_ERROR_PERCENT"`
	CancelOnAbort      value[bool]          `env:"CANCEL_ON_ABORT"`
	CancelOnTimeout    value[bool]          `env:"CANCEL_ON_TIMEOUT"`
	TestRunID          value[int32]         `env:"TEST_RUN_ID"`
	JUnitPath          value[string]        `env:"JUNIT_PATH"`
	ResultsPath        value[string]        `env:"RESULTS_PATH"`
	ReportPath         value[string]        `env:"REPORT_PATH"`
	DotenvPath         value[string]        `env:"DOTENV_PATH"`
	RequestTimeout     value[time.Duration] `env:"REQUEST_TIMEOUT"`
	Platform           value[string]        `env:"PLATFORM"`
	Debug              value[bool]          `env:"DEBUG"`
}

// secret holds the token without ever putting it in an error or a string
// form.
type secret struct {
	V   string
	Set bool
}

// EnvDecode implements envconfig.Decoder.
func (s *secret) EnvDecode(v string) error { s.V, s.Set = v, true; return nil }

// String redacts the token if a secret is ever formatted.
func (s secret) String() string { return "***" }

// Flags is the result of parsing the command line.
type Flags struct {
	// Values holds each setting given as a flag, by name.
	Values map[string]string
	// Help, Version and PrintConfig are the tool's own switches.
	Help, Version, PrintConfig bool
	// Demo is set by the "demo" command, which comes before any flags.
	Demo bool
	// Args are any other positional arguments (an error).
	Args []string
}

// ErrHelp is returned by ParseFlags for -h/--help.
var ErrHelp = flag.ErrHelp

// ParseFlags parses the command line. It prints nothing (on GitHub the mask
// must come first); errors are returned as *InputError.
func ParseFlags(args []string) (*Flags, error) {
	f := &Flags{Values: map[string]string{}}
	if len(args) > 0 && args[0] == "demo" {
		f.Demo, args = true, args[1:]
	}
	fs := flag.NewFlagSet("splx-probe", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, s := range Settings {
		if s.Secret {
			continue
		}
		name := s.Name
		set := func(v string) error { f.Values[name] = v; return nil }
		if s.Bool {
			fs.BoolFunc(name, s.Help, set)
		} else {
			fs.Func(name, s.Help, set)
		}
	}
	fs.BoolVar(&f.Help, "help", false, "show help")
	fs.BoolVar(&f.Help, "h", false, "show help")
	fs.BoolVar(&f.Version, "version", false, "print the version")
	fs.BoolVar(&f.PrintConfig, "print-config", false, "print every effective setting and its source, then exit")
	if err := fs.Parse(args); err != nil {
		msg := err.Error()
		if strings.Contains(msg, "api-key") {
			return nil, &InputError{Name: "api-key", Reason: "is never taken as a flag (flags show in process lists); set SPLX_API_KEY or the api-key input"}
		}
		return nil, &InputError{Name: "command line", Reason: msg}
	}
	f.Args = fs.Args()
	return f, nil
}

// Env turns a list of KEY=value strings into a map; a later entry wins.
func Env(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// sourceLookuper resolves a go-envconfig key through the precedence rules:
// flag, non-blank INPUT_*, non-blank SPLX_*, default. Blank counts as unset
// everywhere (GitHub sets every declared input, "" when not given, and
// go-envconfig's own MultiLookuper would stop at that "").
type sourceLookuper struct {
	flags   map[string]string
	env     map[string]string
	sources map[string]Source
	raw     map[string]string
}

func (l *sourceLookuper) Lookup(k string) (string, bool) {
	var s Setting
	found := false
	for _, st := range Settings {
		if key(st.Name) == k {
			s, found = st, true
			break
		}
	}
	if !found {
		return "", false
	}
	pick := func(v string, src Source) (string, bool) {
		l.sources[s.Name] = src
		if !s.Secret {
			l.raw[s.Name] = strings.TrimSpace(v)
		}
		return v, true
	}
	if v, ok := l.flags[s.Name]; ok && strings.TrimSpace(v) != "" {
		return pick(v, SourceFlag)
	}
	if v := l.env[s.InputName()]; strings.TrimSpace(v) != "" {
		return pick(v, SourceInput)
	}
	if v := l.env[s.EnvName()]; strings.TrimSpace(v) != "" {
		return pick(v, SourceEnv)
	}
	if s.Default != "" {
		return pick(s.Default, SourceDefault)
	}
	l.sources[s.Name] = SourceUnset
	return "", false
}

// Errors is every input error found, in the order of Settings.
type Errors []*InputError

func (e Errors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

// take returns a decoded value, recording its parse error under the
// setting's name.
func take[T any](errs *Errors, name string, v value[T]) T {
	if v.Err != nil {
		*errs = append(*errs, &InputError{Name: name, Reason: v.Err.Error()})
	}
	return v.V
}

// Load reads and validates the configuration. env is the process
// environment as a map. The returned error is Errors when inputs are
// invalid; the Config is returned even then (with Platform always valid), so
// that errors can be reported the way the platform expects.
func Load(ctx context.Context, flags map[string]string, env map[string]string) (*Config, error) {
	l := &sourceLookuper{flags: flags, env: env, sources: map[string]Source{}, raw: map[string]string{}}
	var r raw
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &r, Lookuper: l}); err != nil {
		// Decoders never fail; this is a programming error in the tags.
		return nil, fmt.Errorf("read settings: %w", err)
	}
	c := &Config{Sources: l.sources, Raw: l.raw}
	var errs Errors
	bad := func(name, format string, args ...any) {
		errs = append(errs, &InputError{Name: name, Reason: fmt.Sprintf(format, args...)})
	}
	check := func(name string, err error) {
		if err != nil {
			errs = append(errs, &InputError{Name: name, Reason: err.Error()})
		}
	}

	c.APIKey = r.APIKey.V
	c.TargetID = take(&errs, "target-id", r.TargetID)
	c.ProbeIDs = take(&errs, "probe-ids", r.ProbeIDs)
	c.Name = r.Name.V
	c.Region = strings.ToLower(r.Region.V)
	c.WorkspaceID = r.WorkspaceID.V
	c.NotifyWhenFinished = take(&errs, "notify-when-finished", r.NotifyWhenFinished)
	c.RunAIAnalysis = take(&errs, "run-ai-analysis", r.RunAIAnalysis)
	c.Wait = take(&errs, "wait", r.Wait)
	c.Timeout = take(&errs, "timeout", r.Timeout)
	c.PollInterval = take(&errs, "poll-interval", r.PollInterval)
	if maxFailed := take(&errs, "max-failed", r.MaxFailed); r.MaxFailed.Set && r.MaxFailed.Err == nil {
		c.MaxFailed = &maxFailed
	}
	if maxPct := take(&errs, "max-failed-percent", r.MaxFailedPercent); r.MaxFailedPercent.Set && r.MaxFailedPercent.Err == nil {
		c.MaxFailedPercent = &maxPct
	}
	if maxErr := take(&errs, "max-error-percent", r.MaxErrorPercent); r.MaxErrorPercent.Set && r.MaxErrorPercent.Err == nil {
		c.MaxErrorPercent = &maxErr
	}
	c.CancelOnAbort = take(&errs, "cancel-on-abort", r.CancelOnAbort)
	c.CancelOnTimeout = take(&errs, "cancel-on-timeout", r.CancelOnTimeout)
	c.TestRunID = take(&errs, "test-run-id", r.TestRunID)
	c.JUnitPath = r.JUnitPath.V
	c.ResultsPath = r.ResultsPath.V
	c.ReportPath = r.ReportPath.V
	c.DotenvPath = r.DotenvPath.V
	c.RequestTimeout = take(&errs, "request-timeout", r.RequestTimeout)
	c.Platform = strings.ToLower(r.Platform.V)
	c.Debug = take(&errs, "debug", r.Debug)

	// The token: required, and checked without ever echoing it.
	switch {
	case strings.TrimSpace(c.APIKey) == "":
		bad("api-key", "is empty; %s", missingTokenHint(env))
	case strings.IndexFunc(c.APIKey, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || !unicode.IsPrint(r) }) >= 0:
		bad("api-key", "contains whitespace or control characters (a trailing newline from copying?); store the token again without them")
	}

	if c.Attach() {
		c.Wait = true
	} else {
		if !r.TargetID.Set {
			bad("target-id", "is required; copy the target's id from the SPLX Probe web UI")
		}
		if !r.ProbeIDs.Set {
			bad("probe-ids", "is required; list the probes to run, e.g. 1,2,3")
		}
	}
	reg, ok := regions[c.Region]
	if !ok {
		bad("region", "%s is not a region; use eu or us", quote(r.Region.V))
	}
	c.UIURL = reg.UI
	apiURL := reg.API
	if r.APIURL.Set {
		apiURL = r.APIURL.V
	}
	if u, err := ParseAPIURL(apiURL); err != nil {
		if ok || r.APIURL.Set {
			check("api-url", err)
		}
	} else {
		c.APIURL = u
	}
	if c.WorkspaceID != "" && strings.IndexFunc(c.WorkspaceID, func(r rune) bool {
		return !(r == '-' || r == '_' || r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)))
	}) >= 0 {
		bad("workspace-id", "%s may only contain letters, digits, - and _", quote(c.WorkspaceID))
	}
	if r.PollInterval.Err == nil && c.PollInterval < time.Second {
		bad("poll-interval", "%s is shorter than the minimum of 1s", quote(r.PollInterval.V.String()))
	}
	if r.Timeout.Err == nil && r.PollInterval.Err == nil && c.Timeout < c.PollInterval {
		// A paid run would be triggered, then abandoned before its first poll.
		bad("timeout", "%s is shorter than one poll-interval (%s); raise timeout or lower poll-interval", quote(r.Timeout.V.String()), c.PollInterval)
	}
	if r.RequestTimeout.Err == nil && c.RequestTimeout < time.Second {
		bad("request-timeout", "%s is shorter than the minimum of 1s", quote(r.RequestTimeout.V.String()))
	}
	switch c.Platform {
	case "auto", "github", "gitlab", "circleci", "plain":
	default:
		c.Platform = "auto"
		bad("platform", "%s is not a platform; use auto, github, gitlab, circleci or plain", quote(r.Platform.V))
	}
	// Settings that only mean something after a wait: refuse them without one
	// rather than let a gate silently not run.
	if !c.Wait && r.Wait.Err == nil {
		for _, name := range []string{"max-failed", "max-failed-percent", "max-error-percent", "junit-path", "results-path", "report-path"} {
			if l.sources[name] != SourceUnset && l.sources[name] != SourceDefault {
				bad(name, "only applies when waiting for the run; set wait: true as well, or remove it")
			}
		}
	}
	checkPaths(l.sources, map[string]string{
		"junit-path": c.JUnitPath, "results-path": c.ResultsPath, "report-path": c.ReportPath, "dotenv-path": c.DotenvPath,
	}, bad)
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return order(errs[i].Name) < order(errs[j].Name) })
		return c, errs
	}
	return c, nil
}

// checkPaths refuses two file settings that name the same file: one report
// would silently overwrite the other. The dotenv path counts only when set
// explicitly (its default is only written on GitLab).
func checkPaths(sources map[string]Source, paths map[string]string, bad func(name, format string, args ...any)) {
	seen := map[string]string{}
	for _, s := range Settings {
		p, ok := paths[s.Name]
		if !ok || p == "" || sources[s.Name] == SourceDefault {
			continue
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			abs = filepath.Clean(p)
		}
		if other, dup := seen[abs]; dup {
			bad(s.Name, "%s is the same file as %s; give each report its own path", quote(p), other)
			continue
		}
		seen[abs] = s.Name
	}
}

func order(name string) int {
	for i, s := range Settings {
		if s.Name == name {
			return i
		}
	}
	return len(Settings)
}

// ParseAPIURL validates an API base URL: https, or http only for loopback
// hosts, so the token never crosses a network in clear text.
func ParseAPIURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%s is not an http(s) URL like https://api.probe.splx.ai", quote(s))
	}
	if u.User != nil {
		return nil, errors.New("must not contain credentials; the token goes in api-key")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%s must not have a query or fragment", quote(s))
	}
	if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%s uses plain http; use https (http is only allowed for loopback hosts)", quote(s))
	}
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

// IsLoopback reports whether host is localhost or a loopback address.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// missingTokenHint explains an empty token from the CI context: on GitHub,
// pull requests from forks and Dependabot runs get empty secrets.
func missingTokenHint(env map[string]string) string {
	const set = "set the api-key input (GitHub: api-key: ${{ secrets.SPLX_API_KEY }}) or the SPLX_API_KEY variable to a Personal Access Token from the SPLX Probe web UI"
	if env["GITHUB_ACTIONS"] == "true" {
		switch {
		case env["GITHUB_ACTOR"] == "dependabot[bot]":
			return "Dependabot runs get no repository secrets; add SPLX_API_KEY to the Dependabot secrets, or skip this step for Dependabot"
		case strings.HasPrefix(env["GITHUB_EVENT_NAME"], "pull_request") && env["GITHUB_EVENT_NAME"] != "pull_request_target" && env["GITHUB_HEAD_REF"] != "":
			return "if this is a pull request from a fork, GitHub gives it no secrets; run the step only for branches of this repository, or " + set
		}
	}
	return set
}
