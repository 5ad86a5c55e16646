// Package config reads the tool's settings from their three spellings (a
// command-line flag, GitHub's INPUT_* variables, SPLX_* variables), applies
// defaults and validates them before anything is sent.
//
// The settings are the tagged fields of Config: one field per setting, whose
// tags name it, document it and give its default. go-envconfig decodes them
// through a lookuper that applies the precedence; Settings reads the same
// tags for --help, --print-config, the flags and the tests that keep
// action.yml and the README in step.
package config

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sethvargo/go-envconfig"
	"github.com/splx-ai/splx-probe-action/internal/ci"
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

// Config is the validated, effective configuration. Every field with an env
// tag is a setting, in the order --help shows them:
//
//   - env: its SPLX_* name without the prefix (the action input and the flag
//     are the same name in lower case with "-");
//   - help: one line for --help, action.yml and the README;
//   - default: the value when no source sets it;
//   - secret: never a flag, never printed, masked on GitHub and redacted
//     from every byte the tool prints or writes;
//   - envonly: no action input (tool-level settings);
//   - wait: only means something after a wait (refused without one);
//   - writes: the path of a file the tool writes: it may not share a file
//     with another, nor be one the tool reads or the runner owns;
//   - report: the path of a report file written after a wait: it implies
//     wait and writes, and has a destination;
//   - group: the --help section it is listed in (connection, run, gate,
//     reports, pull requests);
//   - arg: what --help calls its value (FILE, URL, …) when its type does
//     not say (a path the tool writes is a FILE).
type Config struct {
	APIKey             Secret   `env:"API_KEY" group:"connection" secret:"" help:"SPLX Probe Personal Access Token, sent as X-Api-Key (environment or input only, never a flag)"`
	TargetID           ID       `env:"TARGET_ID" group:"run" help:"id of the target (the AI app under test) to run probes against (required unless test-run-id is set)"`
	ProbeIDs           IDList   `env:"PROBE_IDS" group:"run" help:"probe ids to run: separated by commas, spaces or newlines, or a JSON array (required unless test-run-id is set)"`
	Name               Text     `env:"NAME" group:"run" help:"test run name (default: repository, short commit and run number from the CI context)"`
	Region             Text     `env:"REGION" group:"connection" default:"eu" help:"eu or us: selects the API and web UI hosts"`
	APIBase            Text     `env:"API_URL" arg:"URL" group:"connection" help:"API base URL override (https, or http for loopback only)"`
	WorkspaceID        Text     `env:"WORKSPACE_ID" arg:"ID" group:"connection" help:"workspace id, the number in the web UI's URL (/w/163/…): the run's link, and the trigger's fallback path"`
	NotifyWhenFinished Bool     `env:"NOTIFY_WHEN_FINISHED" group:"run" default:"false" help:"ask the platform to e-mail the report when the run ends"`
	RunAIAnalysis      Bool     `env:"RUN_AI_ANALYSIS" group:"run" default:"false" help:"ask the platform to run its AI analysis of the results"`
	Wait               Bool     `env:"WAIT" group:"run" default:"false" help:"wait for the run to end, then gate the job on its findings and report them"`
	Timeout            Duration `env:"TIMEOUT" group:"run" default:"30m" help:"how long to wait for the run (Go duration); exit 5 when it passes"`
	PollInterval       Duration `env:"POLL_INTERVAL" group:"run" default:"15s" help:"time between status polls (at least 1s)"`
	MaxFailed          *Count   `env:"MAX_FAILED, noinit" wait:"" group:"gate" help:"failed test cases (successful attacks) allowed over the whole run"`
	MaxFailedPercent   *Percent `env:"MAX_FAILED_PERCENT, noinit" wait:"" group:"gate" help:"failed test cases allowed per probe, as a percentage of its total (0-100)"`
	MaxErrorPercent    *Percent `env:"MAX_ERROR_PERCENT, noinit" wait:"" group:"gate" help:"errored test cases allowed per probe, as a percentage of its total (0-100); over it the run has no verdict (exit 4)"`
	CancelOnAbort      Bool     `env:"CANCEL_ON_ABORT" group:"run" default:"true" help:"cancel the remote run when the job is cancelled (SIGINT/SIGTERM)"`
	CancelOnTimeout    Bool     `env:"CANCEL_ON_TIMEOUT" group:"run" default:"false" help:"cancel the remote run when the wait times out"`
	TestRunID          ID       `env:"TEST_RUN_ID" group:"run" help:"attach to this existing run instead of triggering one (implies wait)"`
	StatePath          Text     `env:"STATE_PATH" writes:"" group:"run" help:"file recording the run this step triggered, so that a re-run of the job re-attaches to it instead of paying again (the action sets it; unset: no record)"`
	Rerun              Text     `env:"RERUN" group:"run" default:"reuse" help:"reuse: a re-run of the job re-attaches to the run recorded in state-path; trigger: always trigger a new run"`
	JUnitPath          Text     `env:"JUNIT_PATH" report:"" group:"reports" help:"write a JUnit XML report here (with wait)"`
	ResultsPath        Text     `env:"RESULTS_PATH" report:"" group:"reports" help:"write the full results as JSON here (with wait)"`
	ReportPath         Text     `env:"REPORT_PATH" report:"" group:"reports" help:"download the platform's PDF report here (with wait)"`
	SARIFPath          Text     `env:"SARIF_PATH" report:"" group:"reports" help:"write SARIF 2.1.0 for GitHub code scanning here (with wait and target-id)"`
	SARIFLocation      Text     `env:"SARIF_LOCATION" arg:"FILE" group:"reports" help:"repository file the SARIF results point at (default: the workflow file that ran, on GitHub)"`
	CodeQualityPath    Text     `env:"CODEQUALITY_PATH" report:"" group:"reports" envonly:"" help:"GitLab CI: write a Code Quality report here for artifacts:reports:codequality (with wait and target-id)"`
	BaselinePath       Text     `env:"BASELINE_PATH" arg:"FILE" wait:"" group:"gate" help:"compare with this results file of an earlier run (results-path on the default branch): without a threshold only regressions fail (with wait)"`
	MaxRegression      Percent  `env:"MAX_REGRESSION_PERCENT" group:"gate" default:"0" help:"percentage points a probe's failed share may rise over the baseline's (0-100)"`
	GitHubToken        Secret   `env:"GITHUB_TOKEN" group:"pull requests" secret:"" help:"GitHub token for the pull request comment (the action gives github.token; input or SPLX_GITHUB_TOKEN, never a flag)"`
	PRComment          Bool     `env:"PR_COMMENT" group:"pull requests" default:"true" help:"on pull requests, keep one comment with the verdict up to date (needs permissions: pull-requests: write)"`
	GitLabToken        Secret   `env:"GITLAB_TOKEN" group:"pull requests" secret:"" envonly:"" help:"GitLab CI: project access token (api scope, Reporter role) for the merge request note; never a flag"`
	CommentKey         Text     `env:"COMMENT_KEY" group:"pull requests" help:"tells apart the comments of several steps on one pull request (default: workflow, job and target)"`
	Doctor             Bool     `env:"DOCTOR" group:"run" default:"false" help:"check the setup instead of running: settings, network, TLS, token, output files; triggers nothing"`
	DotenvPath         Text     `env:"DOTENV_PATH" arg:"FILE" group:"reports" default:"splx-probe.env" envonly:"" help:"GitLab CI: dotenv file for artifacts:reports:dotenv"`
	RequestTimeout     Duration `env:"REQUEST_TIMEOUT" group:"connection" default:"60s" help:"limit for one HTTP request"`
	Platform           Text     `env:"PLATFORM" group:"reports" default:"auto" envonly:"" help:"{platforms}: how to report"`
	Debug              Bool     `env:"DEBUG" group:"connection" default:"false" envonly:"" help:"log every HTTP request (on GitHub, enable the runner's debug logging instead)"`

	// APIURL is the API base URL, from api-url or the region.
	APIURL *url.URL
	// UIURL is the web UI's base URL, from the region.
	UIURL string
	// Sources records where each setting came from, by setting name.
	Sources map[string]Source
	// Raw holds each setting's effective text, by name (the token excluded).
	Raw map[string]string
}

// Attach reports whether the tool attaches to an existing run.
func (c *Config) Attach() bool { return c.TestRunID != 0 }

// Set reports whether a setting was given (not unset, not its default).
func (c *Config) Set(name string) bool {
	src := c.Sources[name]
	return src != SourceUnset && src != SourceDefault && src != ""
}

// Value is a setting's effective text by name ("" when unset; never a
// secret's).
func (c *Config) Value(name string) string { return c.Raw[name] }

// RunURL is the link to a run in the web UI, "" without the workspace and
// target that it needs.
func (c *Config) RunURL(id int32) string {
	if c.WorkspaceID == "" || c.TargetID == 0 {
		return ""
	}
	return fmt.Sprintf("%s/w/%s/target/%d/test-runs/%d", c.UIURL, c.WorkspaceID, c.TargetID, id)
}

// Secrets is every value a secret setting may have come from in env, both
// spellings of each: what GitHub masks and the redactor removes. The
// effective value is one of them (a secret is never a flag).
func Secrets(env map[string]string) []string { return secretsIn(Settings(), env) }

func secretsIn(settings []Setting, env map[string]string) []string {
	var out []string
	for _, s := range settings {
		if s.Secret {
			out = append(out, env[s.InputName()], env[s.EnvName()])
		}
	}
	return out
}

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
	// NeedsWait settings are refused without wait (reports imply it).
	NeedsWait bool
	// Writes settings are the path of a file the tool writes (reports too).
	Writes bool
	// Report settings are the path of a report file written after a wait.
	Report bool
	// Group is the --help section that lists it.
	Group string
	// Arg is what --help calls its value: FILE, ID, IDS, DUR, N, PCT, URL
	// or TEXT.
	Arg string
	// key is the go-envconfig key: the SPLX_* name without the prefix.
	key string
	// field is its field's index in Config.
	field int
}

// EnvName is the setting's SPLX_* variable.
func (s Setting) EnvName() string { return "SPLX_" + s.key }

// InputName is the variable GitHub's runner sets for the action input: upper
// case with the hyphens kept (only spaces become underscores).
func (s Setting) InputName() string { return "INPUT_" + strings.ToUpper(s.Name) }

// Settings lists every setting, in the order --help and --print-config show,
// read from Config's tags.
func Settings() []Setting {
	t := reflect.TypeFor[Config]()
	var out []Setting
	for i := range t.NumField() {
		f := t.Field(i)
		env, ok := f.Tag.Lookup("env")
		if !ok {
			continue
		}
		key, _, _ := strings.Cut(env, ",")
		_, secret := f.Tag.Lookup("secret")
		_, envOnly := f.Tag.Lookup("envonly")
		_, wait := f.Tag.Lookup("wait")
		_, rep := f.Tag.Lookup("report")
		_, writes := f.Tag.Lookup("writes")
		help := f.Tag.Get("help")
		if strings.Contains(help, "{platforms}") {
			help = strings.ReplaceAll(help, "{platforms}", platformChoices())
		}
		out = append(out, Setting{
			Name:      strings.ToLower(strings.ReplaceAll(key, "_", "-")),
			Default:   f.Tag.Get("default"),
			Help:      help,
			Secret:    secret,
			Bool:      f.Type == reflect.TypeFor[Bool](),
			EnvOnly:   envOnly,
			NeedsWait: wait || rep,
			Writes:    writes || rep,
			Report:    rep,
			Group:     f.Tag.Get("group"),
			Arg:       argOf(f, writes || rep),
			key:       key,
			field:     i,
		})
	}
	return out
}

// argOf is what --help calls a setting's value: its arg tag, else FILE for
// a file the tool writes, else what its type takes.
func argOf(f reflect.StructField, writes bool) string {
	if arg := f.Tag.Get("arg"); arg != "" {
		return arg
	}
	if writes {
		return "FILE"
	}
	switch f.Type {
	case reflect.TypeFor[ID]():
		return "ID"
	case reflect.TypeFor[IDList]():
		return "IDS"
	case reflect.TypeFor[Duration]():
		return "DUR"
	case reflect.TypeFor[*Count]():
		return "N"
	case reflect.TypeFor[*Percent](), reflect.TypeFor[Percent]():
		return "PCT"
	}
	return "TEXT"
}

// Groups are the --help sections, in order; every setting is in one.
func Groups() []string {
	return []string{"connection", "run", "gate", "reports", "pull requests"}
}

// Region hosts, from the API documentation.
var regions = map[string]struct{ API, UI string }{
	"eu": {"https://api.probe.splx.ai", "https://probe.splx.ai"},
	"us": {"https://us.api.probe.splx.ai", "https://us.probe.splx.ai"},
}

// Flags is the result of parsing the command line.
type Flags struct {
	// Values holds each setting given as a flag, by name.
	Values map[string]string
	// Help, Version and PrintConfig are the tool's own switches.
	Help, Version, PrintConfig bool
	// Demo and Doctor are set by the "demo" and "doctor" commands, which
	// come before any flags.
	Demo, Doctor bool
	// Args are any other positional arguments (an error).
	Args []string
}

// ParseFlags parses the command line. It prints nothing (on GitHub the mask
// must come first); errors are returned as *InputError.
func ParseFlags(args []string) (*Flags, error) {
	f := &Flags{Values: map[string]string{}}
	if len(args) > 0 {
		switch args[0] {
		case "demo":
			f.Demo, args = true, args[1:]
		case "doctor":
			f.Doctor, args = true, args[1:]
		}
	}
	settings := Settings()
	fs := flag.NewFlagSet("splx-probe", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, s := range settings {
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
		for _, s := range settings {
			if s.Secret && strings.Contains(msg, "-"+s.Name) {
				return nil, &InputError{Name: s.Name, Reason: "is never taken as a flag (flags show in process lists); set " + s.EnvName() + " or the " + s.Name + " input"}
			}
		}
		if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
			if near := nearestFlag(fs, strings.TrimLeft(name, "-")); near != "" {
				msg += "; did you mean --" + near + "?"
			}
		}
		return nil, &InputError{Name: "command line", Reason: msg}
	}
	f.Args = fs.Args()
	return f, nil
}

// nearestFlag is the defined flag closest to an unknown name: within two
// edits, or one the name is a prefix of ("" when none is close).
func nearestFlag(fs *flag.FlagSet, name string) string {
	best, bestDist := "", 3
	fs.VisitAll(func(f *flag.Flag) {
		if len(f.Name) < 3 {
			return
		}
		d := editDistance(name, f.Name)
		if strings.HasPrefix(f.Name, name) && len(name) >= 4 {
			d = min(d, 1)
		}
		if d < bestDist {
			best, bestDist = f.Name, d
		}
	})
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// BoolFlagValue reports whether arg, a stray argument after a switch such
// as --wait, is a boolean word (yes, no, true, …) meant as its value: only
// such a word is ever shown back, since any other could be a token.
func BoolFlagValue(prev, arg string) (flagName string, ok bool) {
	name := strings.TrimLeft(prev, "-")
	if !strings.HasPrefix(prev, "-") || strings.Contains(name, "=") {
		return "", false
	}
	if _, err := ParseBool(arg); err != nil {
		return "", false
	}
	for _, s := range Settings() {
		if s.Bool && s.Name == name {
			return name, true
		}
	}
	return "", false
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

// lookuper resolves a go-envconfig key through the precedence rules: flag,
// non-blank INPUT_*, non-blank SPLX_*, default. Blank counts as unset
// everywhere (GitHub sets every declared input, "" when not given, and
// go-envconfig's own MultiLookuper would stop at that ""). Values other
// than the token are trimmed. It remembers the setting it looked up last:
// go-envconfig decodes each value right after looking it up, so a decoder's
// error is that setting's. Settings in failed read as unset, so that a
// second pass decodes the others.
type lookuper struct {
	settings map[string]Setting
	flags    map[string]string
	env      map[string]string
	sources  map[string]Source
	raw      map[string]string
	failed   map[string]bool
	last     string
}

func (l *lookuper) Lookup(k string) (string, bool) {
	s, ok := l.settings[k]
	if !ok || l.failed[s.Name] {
		return "", false
	}
	l.last = s.Name
	pick := func(v string, src Source) (string, bool) {
		l.sources[s.Name] = src
		if s.Secret {
			return v, true
		}
		v = strings.TrimSpace(v)
		l.raw[s.Name] = v
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

// Unwrap returns the errors, for errors.As and errors.Is.
func (e Errors) Unwrap() []error {
	out := make([]error, len(e))
	for i, err := range e {
		out[i] = err
	}
	return out
}

func (e Errors) Error() string {
	msgs := make([]string, len(e))
	for i, err := range e {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

// Load reads and validates the configuration. env is the process
// environment as a map. The returned error is Errors when inputs are
// invalid; the Config is returned even then (with Platform always valid), so
// that errors can be reported the way the platform expects.
func Load(ctx context.Context, flags map[string]string, env map[string]string) (*Config, error) {
	all := Settings()
	settings := map[string]Setting{}
	rank := map[string]int{}
	for i, s := range all {
		settings[s.key] = s
		rank[s.Name] = i
	}
	l := &lookuper{settings: settings, flags: flags, env: env, sources: map[string]Source{}, raw: map[string]string{}, failed: map[string]bool{}}
	c := &Config{}
	var errs Errors
	// go-envconfig stops at the first value that does not parse: record it,
	// read that setting as unset, and go again (fields already decoded are
	// kept), so that every invalid input is reported at once.
	for {
		err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: c, Lookuper: l})
		var de *decodeError
		if err == nil {
			break
		}
		if !errors.As(err, &de) || l.failed[l.last] {
			// Decoders fail only with decodeError; this is a programming
			// error in the tags.
			return nil, fmt.Errorf("read settings: %w", err)
		}
		errs = append(errs, &InputError{Name: l.last, Reason: de.reason})
		l.failed[l.last] = true
	}
	c.Sources, c.Raw = l.sources, l.raw
	c.Region = Text(strings.ToLower(string(c.Region)))
	c.Platform = Text(strings.ToLower(string(c.Platform)))
	c.Rerun = Text(strings.ToLower(string(c.Rerun)))
	if c.Attach() {
		c.Wait = true
	}
	for _, rule := range rules() {
		rule(c, &errs, all)
	}
	if len(errs) > 0 {
		// In the order of Settings; errors of no single setting come last.
		at := func(name string) int {
			if r, ok := rank[name]; ok {
				return r
			}
			return len(rank)
		}
		sort.SliceStable(errs, func(i, j int) bool { return at(errs[i].Name) < at(errs[j].Name) })
		return c, errs
	}
	return c, nil
}

// rules check what no single value can: required settings, the rules
// between settings, and the tokens without ever echoing them. Each adds
// its errors; a rule skips a setting that already has one.
func rules() []func(c *Config, errs *Errors, settings []Setting) {
	return []func(c *Config, errs *Errors, settings []Setting){
		(*Config).checkToken,
		(*Config).checkRequired,
		(*Config).checkHosts,
		(*Config).checkTimes,
		(*Config).checkChoices,
		(*Config).checkNeedsWait,
		(*Config).checkOtherTokens,
		(*Config).checkPerTarget,
	}
}

// checkToken refuses an api-key that cannot be a Personal Access Token.
func (c *Config) checkToken(errs *Errors, _ []Setting) {
	switch {
	case strings.TrimSpace(string(c.APIKey)) == "":
		*errs = append(*errs, &InputError{Name: "api-key", Reason: "is empty; " + setToken, MissingToken: true})
	case strings.IndexFunc(string(c.APIKey), func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || !unicode.IsPrint(r) }) >= 0:
		errs.add("api-key", "contains whitespace or control characters (a trailing newline from copying?); store the token again without them")
	case utf8.RuneCountInString(string(c.APIKey)) < MinTokenLength:
		// The redactor hides every occurrence of the token: a short one would
		// rewrite ordinary words in every log and file.
		errs.add("api-key", "is shorter than %d characters, so it cannot be a Personal Access Token; store the whole token from the SPLX Probe web UI", MinTokenLength)
	}
}

// checkRequired asks for what a trigger needs (attaching needs neither).
func (c *Config) checkRequired(errs *Errors, _ []Setting) {
	if c.Attach() {
		return
	}
	if c.Sources["target-id"] == SourceUnset {
		errs.add("target-id", "is required; copy the target's id from the SPLX Probe web UI")
	}
	if c.Sources["probe-ids"] == SourceUnset {
		errs.add("probe-ids", "is required; list the probes to run, e.g. 1,2,3")
	}
}

// checkHosts resolves the region's hosts and api-url, and the workspace
// that goes into the trigger's path.
func (c *Config) checkHosts(errs *Errors, _ []Setting) {
	reg, ok := regions[string(c.Region)]
	if !ok {
		errs.add("region", "%s is not a region; use eu or us", quote(c.Raw["region"]))
	}
	c.UIURL = reg.UI
	apiURL := reg.API
	if c.Set("api-url") {
		apiURL = string(c.APIBase)
	}
	if u, err := ParseAPIURL(apiURL); err != nil {
		if ok || c.Set("api-url") {
			errs.add("api-url", "%s", err)
		}
	} else {
		c.APIURL = u
	}
	if c.WorkspaceID != "" {
		// Every source shows an int32 (WorkspaceDto.id, /w/163/…); it goes
		// into a URL path of the trigger.
		if _, err := parseID(string(c.WorkspaceID)); err != nil {
			errs.add("workspace-id", "%s is not a workspace id: use the number in the web UI's URL (/w/163/…), digits only", quote(string(c.WorkspaceID)))
		}
	}
}

// checkTimes keeps the durations workable.
func (c *Config) checkTimes(errs *Errors, _ []Setting) {
	if !errs.failed("poll-interval") && c.PollInterval < Duration(time.Second) {
		errs.add("poll-interval", "%s is shorter than the minimum of 1s", quote(time.Duration(c.PollInterval).String()))
	}
	if !errs.failed("timeout") && !errs.failed("poll-interval") && c.Timeout < c.PollInterval {
		// A paid run would be triggered, then abandoned before its first poll.
		errs.add("timeout", "%s is shorter than one poll-interval (%s); raise timeout or lower poll-interval", quote(time.Duration(c.Timeout).String()), time.Duration(c.PollInterval))
	}
	if !errs.failed("request-timeout") && c.RequestTimeout < Duration(time.Second) {
		errs.add("request-timeout", "%s is shorter than the minimum of 1s", quote(time.Duration(c.RequestTimeout).String()))
	}
}

// checkChoices refuses words that are not among a setting's choices.
func (c *Config) checkChoices(errs *Errors, _ []Setting) {
	if c.Rerun != "reuse" && c.Rerun != "trigger" {
		errs.add("rerun", "%s is not a choice; use reuse (re-attach to the run an earlier attempt triggered) or trigger (always a new run)", quote(c.Raw["rerun"]))
	}
	if !slices.Contains(append([]string{"auto"}, ci.Names()...), string(c.Platform)) {
		errs.add("platform", "%s is not a platform; use %s", quote(c.Raw["platform"]), platformChoices())
		c.Platform = "auto"
	}
}

// platformChoices are the platform setting's words: auto and every
// platform internal/ci knows.
func platformChoices() string {
	names := append([]string{"auto"}, ci.Names()...)
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// checkNeedsWait refuses the settings that only mean something after a
// wait, rather than let a gate silently not run.
func (c *Config) checkNeedsWait(errs *Errors, settings []Setting) {
	if !bool(c.Wait) && !errs.failed("wait") {
		for _, s := range settings {
			if s.NeedsWait && c.Set(s.Name) {
				errs.add(s.Name, "only applies when waiting for the run; set wait: true as well, or remove it")
			}
		}
	}
	if c.Set("max-regression-percent") && !c.Set("baseline-path") {
		errs.add("max-regression-percent", "only applies with a baseline; set baseline-path as well, or remove it")
	}
}

// checkOtherTokens refuses a pasted newline in the other secret settings
// (api-key has its own rule); a header would not carry it.
func (c *Config) checkOtherTokens(errs *Errors, settings []Setting) {
	v := reflect.ValueOf(c).Elem()
	for _, s := range settings {
		token, ok := v.Field(s.field).Interface().(Secret)
		if !ok || s.Name == "api-key" {
			continue
		}
		if strings.IndexFunc(string(token), func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
			errs.add(s.Name, "contains whitespace or control characters; store the token again without them")
		}
	}
}

// checkPerTarget asks for target-id where findings are kept per target and
// probe (code scanning, Code Quality).
func (c *Config) checkPerTarget(errs *Errors, _ []Setting) {
	for _, name := range []string{"sarif-path", "codequality-path"} {
		if c.Set(name) && c.Sources["target-id"] == SourceUnset {
			errs.add(name, "needs target-id as well: the findings are kept per target and probe")
		}
	}
}

// MinTokenLength is the shortest token accepted. The token's format is not
// documented; anything shorter is a paste gone wrong.
const MinTokenLength = 8

// setToken says how to give the token.
const setToken = "set the api-key input (GitHub: api-key: ${{ secrets.SPLX_API_KEY }}) or the SPLX_API_KEY variable to a Personal Access Token from the SPLX Probe web UI"

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
