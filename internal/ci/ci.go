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

// Platform names a CI platform; each platform's file declares its name,
// and platforms lists them all.
type Platform string

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

// Logger writes the log the platform shows. Messages are plain text that
// the logger escapes for its platform.
type Logger interface {
	Info(msg string)
	Debug(msg string)
	Notice(title, msg string)
	Warning(title, msg string)
	Error(title, msg string)
	// Group starts a collapsible section of the log; EndGroup ends it.
	Group(title string)
	EndGroup()
	// Progress shows the state of the run, once per change.
	Progress(p Progress)
	// Table shows the results table, coloured by tone where the log
	// renders colour.
	Table(lines []TableLine)
}

// Publisher hands the results to the platform, within its limits.
type Publisher interface {
	// Begin runs before anything else is printed: GitHub masks secrets.
	Begin(secrets []string)
	// Outputs saves the results for later steps or jobs, warning (never
	// failing) where the platform gives it nowhere to write them.
	Outputs(outs []Output)
	// Summary adds Markdown to the job's summary where the platform has one.
	Summary(markdown string)
	// Annotate adds the verdict's annotation and one per probe over its
	// threshold (errs) or with findings within it (warns), as many as the
	// platform shows, saying how many more there are. Where annotations are
	// listed (GitHub) the verdict comes first; in a log it comes last, so
	// that the log ends with it.
	Annotate(verdict Note, errs, warns []Note)
}

// Reporter is how the tool speaks to a CI platform: its log and what it
// publishes.
type Reporter interface {
	Logger
	Publisher
}

// annotateWithin emits errs and warns through l, at most errSlots and
// warnSlots annotations of each kind, the last slot saying how many more
// there are when they do not all fit.
func annotateWithin(l Logger, errs, warns []Note, errSlots, warnSlots int) {
	fit := func(n, slots int) int {
		if n <= slots {
			return n
		}
		return max(slots-1, 0)
	}
	n := fit(len(errs), errSlots)
	for _, e := range errs[:n] {
		l.Error(e.Title, e.Msg)
	}
	if more := len(errs) - n; more > 0 {
		l.Error("More probes over threshold", fmt.Sprintf("%d more probes over threshold; see the job summary", more))
	}
	n = fit(len(warns), warnSlots)
	for _, w := range warns[:n] {
		l.Warning(w.Title, w.Msg)
	}
	if more := len(warns) - n; more > 0 {
		l.Warning("More findings", fmt.Sprintf("%d more probes with findings; see the job summary", more))
	}
}

// verdictNote emits the verdict: a notice when it passed, else an error.
func verdictNote(l Logger, v Note) {
	if v.OK {
		l.Notice(v.Title, v.Msg)
	} else {
		l.Error(v.Title, v.Msg)
	}
}

// changed remembers the last progress line, so that each reporter shows a
// line only when the progress changed.
type changed struct{ last string }

func (c *changed) is(line string) bool {
	if line == c.last {
		return false
	}
	c.last = line
	return true
}

// eachLine calls f for each line of text, escaped for the log.
func eachLine(text string, f func(line string)) {
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		f(line(l))
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
	// Width is the terminal's width in columns (0: unknown, 80 is used).
	Width int
	// Debug turns on debug lines off GitHub (GitHub shows ::debug:: lines
	// when the runner's debug logging is on).
	Debug bool
	// Setting reads a setting's effective value by name (config's Value).
	// A reporter sees only the settings its platform declares (GitLab's
	// dotenv-path), "" for any other; nil reads "" for all.
	Setting func(name string) string
	// Now is the clock (GitLab section timestamps).
	Now func() time.Time
	// Random returns n random bytes as hex (file delimiters, stop tokens).
	Random func(n int) string
}

// New returns the reporter for a platform.
func New(p Platform, o Options) Reporter {
	o.Env = nonNil(o.Env)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Random == nil {
		o.Random = RandomHex
	}
	if o.Unredacted == nil {
		o.Unredacted = o.Stdout
	}
	pl := lookup(p)
	return pl.reporter(pl.options(o))
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
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
