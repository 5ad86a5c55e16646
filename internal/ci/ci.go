// Package ci detects the CI platform the tool runs on and reports to it the
// way its users expect: GitHub workflow commands and file commands, GitLab
// dotenv reports and log sections, CircleCI's $BASH_ENV, or plain text.
//
// Every reporter escapes every message it prints: text from the API is
// hostile until proven otherwise.
package ci

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/redact"
)

// Platform names a CI platform.
type Platform string

// The platforms the tool knows.
const (
	GitHub   Platform = "github"
	GitLab   Platform = "gitlab"
	CircleCI Platform = "circleci"
	Plain    Platform = "plain"
)

// Detect returns the platform forced by the platform setting, or the one the
// environment shows.
func Detect(env map[string]string, forced string) Platform {
	switch Platform(forced) {
	case GitHub, GitLab, CircleCI, Plain:
		return Platform(forced)
	}
	switch {
	case env["GITHUB_ACTIONS"] == "true":
		return GitHub
	case env["GITLAB_CI"] == "true":
		return GitLab
	case env["CIRCLECI"] == "true":
		return CircleCI
	}
	return Plain
}

// Label names the platform for people (and the User-Agent).
func Label(p Platform, env map[string]string) string {
	switch p {
	case GitHub:
		if env["ACT"] == "true" {
			return "act"
		}
		return "GitHub Actions"
	case GitLab:
		return "GitLab CI"
	case CircleCI:
		return "CircleCI"
	}
	return "terminal"
}

// DefaultRunName is the test run name built from the CI context:
// repository, short commit and run number; a timestamp elsewhere.
func DefaultRunName(p Platform, env map[string]string, now time.Time) string {
	short := func(sha string) string {
		if len(sha) > 7 {
			return sha[:7]
		}
		return sha
	}
	var repo, sha, num string
	switch p {
	case GitHub:
		repo, sha, num = env["GITHUB_REPOSITORY"], short(env["GITHUB_SHA"]), env["GITHUB_RUN_NUMBER"]
	case GitLab:
		repo, sha, num = env["CI_PROJECT_PATH"], env["CI_COMMIT_SHORT_SHA"], env["CI_PIPELINE_IID"]
	case CircleCI:
		if env["CIRCLE_PROJECT_USERNAME"] != "" || env["CIRCLE_PROJECT_REPONAME"] != "" {
			repo = env["CIRCLE_PROJECT_USERNAME"] + "/" + env["CIRCLE_PROJECT_REPONAME"]
		}
		sha, num = short(env["CIRCLE_SHA1"]), env["CIRCLE_BUILD_NUM"]
	}
	if repo == "" {
		return "splx-probe-action " + now.UTC().Format("2006-01-02 15:04:05Z")
	}
	name := repo
	if sha != "" {
		name += "@" + sha
	}
	if num != "" {
		name += " #" + num
	}
	return name
}

// Output is one named result value. Name is in action.yml form
// (test-run-id); other platforms derive their own spelling.
type Output struct {
	Name  string
	Value string
}

// EnvName is the SPLX_* variable an output is exported as on GitLab and
// CircleCI, which a later job or step reads back (SPLX_TEST_RUN_ID attaches).
func (o Output) EnvName() string {
	return "SPLX_" + strings.ToUpper(strings.ReplaceAll(o.Name, "-", "_"))
}

// Progress is the state of a run being waited on.
type Progress struct {
	Status  string
	Percent float64
	// Probes holds one short "name done/total" entry per probe.
	Probes []string
}

// Reporter is how the tool speaks to a CI platform. Messages are plain text
// that the reporter escapes for its platform.
type Reporter interface {
	// Begin runs before anything else is printed: GitHub masks secrets.
	Begin(secrets []string)
	Info(msg string)
	Debug(msg string)
	Notice(title, msg string)
	Warning(title, msg string)
	Error(title, msg string)
	// Group starts a collapsible section of the log; EndGroup ends it.
	Group(title string)
	EndGroup()
	Progress(p Progress)
	// Outputs saves the results for later steps or jobs, warning (never
	// failing) where the platform gives it nowhere to write them.
	Outputs(outs []Output)
	// Summary adds Markdown to the job's summary where the platform has one.
	Summary(markdown string)
	// Dump prints text taken verbatim (escaped, never interpreted).
	Dump(title, text string)
	// Annotate adds one annotation per probe over its threshold (errs) or
	// with findings within it (warns), as many as the platform shows, and
	// says how many more there are.
	Annotate(errs, warns []Note)
}

// Note is one annotation: a title and a message.
type Note struct {
	Title, Msg string
}

// annotateWithin emits errs and warns through r, at most errSlots and
// warnSlots annotations of each kind, the last slot saying how many more
// there are when they do not all fit.
func annotateWithin(r Reporter, errs, warns []Note, errSlots, warnSlots int) {
	fit := func(n, slots int) int {
		if n <= slots {
			return n
		}
		return max(slots-1, 0)
	}
	n := fit(len(errs), errSlots)
	for _, e := range errs[:n] {
		r.Error(e.Title, e.Msg)
	}
	if more := len(errs) - n; more > 0 {
		r.Error("More probes over threshold", fmt.Sprintf("%d more probes over threshold; see the job summary", more))
	}
	n = fit(len(warns), warnSlots)
	for _, w := range warns[:n] {
		r.Warning(w.Title, w.Msg)
	}
	if more := len(warns) - n; more > 0 {
		r.Warning("More findings", fmt.Sprintf("%d more probes with findings; see the job summary", more))
	}
}

// Options are what reporters need from the process.
type Options struct {
	Env map[string]string
	// Stdout and Stderr are the log; the caller redacts secrets from them.
	Stdout io.Writer
	Stderr io.Writer
	// Unredacted is stdout without redaction, used only for GitHub's
	// ::add-mask:: command (which must name the secret); Stdout when nil.
	Unredacted io.Writer
	// Redact removes secrets from what reporters write to files.
	Redact *redact.Redactor
	// TTY reports that stdout is a terminal (live progress, colour).
	TTY bool
	// Debug turns on debug lines off GitHub (GitHub shows ::debug:: lines
	// when the runner's debug logging is on).
	Debug bool
	// DotenvPath is GitLab's dotenv file.
	DotenvPath string
	// Now is the clock (GitLab section timestamps).
	Now func() time.Time
	// Random returns n random bytes as hex (file delimiters, stop tokens).
	Random func(n int) string
}

// New returns the reporter for a platform.
func New(p Platform, o Options) Reporter {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Random == nil {
		o.Random = RandomHex
	}
	if o.Unredacted == nil {
		o.Unredacted = o.Stdout
	}
	switch p {
	case GitHub:
		return newGitHub(o)
	case GitLab:
		return &gitlab{plain: newPlain(o), o: o}
	case CircleCI:
		return &circleci{plain: newPlain(o), o: o}
	}
	return newPlain(o)
}

// maxMessage caps one message in the log.
const maxMessage = 4000

// line escapes a message for one log line.
func line(s string) string { return escape.Line(s, maxMessage) }

// printf writes to w, ignoring errors: a log that cannot be written has no
// one to report to.
func printf(w io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(w, format, args...)
}
