package cli

import (
	"errors"
	"strings"

	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/deliver"
	"github.com/splx-ai/splx-probe-action/internal/exitcode"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/probe"
	"github.com/splx-ai/splx-probe-action/internal/render"
)

// ExitCode is the tool's exit status; the codes, their meanings and their
// result words are the table in internal/exitcode.
type ExitCode = exitcode.Code

// The exit codes, by the names the tests and main use.
const (
	ExitOK           = exitcode.OK
	ExitGateFailed   = exitcode.GateFailed
	ExitInvalidInput = exitcode.InvalidInput
	ExitAuth         = exitcode.Auth
	ExitNoVerdict    = exitcode.NoVerdict
	ExitTimeout      = exitcode.Timeout
	ExitAPI          = exitcode.API
	ExitInterrupted  = exitcode.Interrupted
)

// VerdictError is a run whose verdict is not a pass: failed, no verdict or
// timed out. Msg names the run and says why.
type VerdictError struct {
	Verdict gate.Verdict
	Msg     string
	// Shown marks a verdict already annotated with the probes' annotations:
	// the exit does not repeat it.
	Shown bool
}

func (e *VerdictError) Error() string { return e.Msg }

// InterruptedError is the job being cancelled; Msg says while doing what.
type InterruptedError struct {
	Msg string
}

func (e *InterruptedError) Error() string { return e.Msg }

// usageError is a command line that is not the tool's: it is never echoed
// (a token pasted as an argument must not reach the log).
type usageError string

func (e usageError) Error() string { return string(e) }

// exitRule maps a kind of error to its exit code and to the annotation the
// user reads: a title, the error's message and what to do next.
type exitRule struct {
	code   ExitCode
	title  string
	match  func(error) bool
	advice func(*config.Config) string
}

// is matches errors of type T.
func is[T error](err error) bool {
	var t T
	return errors.As(err, &t)
}

// status matches an API answer with one HTTP status.
func status(code int) func(error) bool {
	return func(err error) bool {
		var er *probe.ErrorResponse
		return errors.As(err, &er) && er.StatusCode == code
	}
}

// verdict matches a VerdictError of one verdict.
func verdict(v gate.Verdict) func(error) bool {
	return func(err error) bool {
		var ve *VerdictError
		return errors.As(err, &ve) && ve.Verdict == v
	}
}

// exitRules is the one table from errors to exit codes. The first rule that
// matches decides, so its order is the precedence: a cancelled job, then
// input and authentication, then the verdict (which beats a report that
// could not be written, still reported), then failures of the API, the
// network or the runner's files.
func exitRules() []exitRule {
	return []exitRule{
		{ExitInterrupted, "Interrupted", is[*InterruptedError], nil},
		{ExitInvalidInput, "Invalid input", is[*config.InputError], nil},
		{ExitInvalidInput, "Invalid input", is[usageError], nil},
		{ExitAuth, "SPLX Probe authentication failed", status(401), func(c *config.Config) string {
			return "The token is missing, wrong or expired: create a new Personal Access Token in the SPLX Probe web UI (" + c.UIURL +
				") and store it as the SPLX_API_KEY secret. A token of one region's platform is likely not valid on the other's (region: " + string(c.Region) + ")."
		}},
		{ExitAuth, "SPLX Probe permission denied", status(403), func(*config.Config) string {
			return "The token's user lacks access to this target or workspace: ask a workspace admin for access, or use a token of a user who has it."
		}},
		{ExitInvalidInput, "SPLX Probe trigger path not found", is[*probe.TriggerPathError], nil},
		{ExitInvalidInput, "SPLX Probe rejected the request", status(400), func(*config.Config) string {
			return "Check target-id, probe-ids and test-run-id against the SPLX Probe web UI."
		}},
		{ExitGateFailed, "SPLX Probe gate failed", verdict(gate.Failed), nil},
		{ExitNoVerdict, "SPLX Probe: no verdict", verdict(gate.NoVerdict), nil},
		{ExitTimeout, "SPLX Probe wait timed out", verdict(gate.TimedOut), nil},
		{ExitAPI, "Trigger outcome unknown", is[*probe.AmbiguousTriggerError], nil},
		{ExitAPI, "Report not written", is[*deliver.WriteError], nil},
		{ExitAPI, "SPLX Probe API failure", func(err error) bool { return errors.Is(err, probe.ErrRedirectRefused) }, func(*config.Config) string { return "Check api-url." }},
		{ExitAPI, "SPLX Probe answer too large", is[*probe.TooLargeError], func(*config.Config) string {
			return "The limit is fixed, so retrying will not help: split probe-ids over several steps so that each run's answer is smaller, and report the size at https://github.com/splx-ai/splx-probe-action/issues."
		}},
		{ExitAPI, "SPLX Probe API failure", func(error) bool { return true }, func(*config.Config) string {
			return "The API or the network failed; try again later, and check api-url and any proxy settings (HTTPS_PROXY, SSL_CERT_FILE)."
		}},
	}
}

// ruleFor returns the rule that decides for err.
func ruleFor(err error) exitRule {
	rules := exitRules()
	for _, r := range rules {
		if r.match(err) {
			return r
		}
	}
	return rules[len(rules)-1]
}

// exitCode maps the flow's error to the exit code: ExitOK for nil, else the
// first rule, in table order, that any of its errors matches.
func exitCode(err error) ExitCode {
	if err == nil {
		return ExitOK
	}
	return ruleFor(err).code
}

// annotation is what the user reads for one error: its rule's title (or
// the error's own, for a report) and its message with the advice.
func annotation(err error, cfg *config.Config) (title, msg string) {
	r := ruleFor(err)
	title, msg = r.title, err.Error()
	var we *deliver.WriteError
	if errors.As(err, &we) {
		title = we.What
	}
	if r.advice != nil && cfg != nil {
		msg = strings.TrimRight(msg, ".") + ". " + r.advice(cfg)
	}
	return title, msg
}

// split returns the errors joined in err, in order.
func split(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, split(e)...)
		}
		return out
	}
	return []error{err}
}

// verdictCode is the exit code a verdict alone gives: the table's for the
// error of a verdict that is not a pass.
func verdictCode(v gate.Verdict) ExitCode {
	if v == gate.Passed {
		return ExitOK
	}
	return exitCode(&VerdictError{Verdict: v})
}

// problem is what the pull request comment says instead of (or over) a
// verdict, nil when the exit is the result's verdict or a started run.
func problem(r *deliver.Run, code ExitCode, err error) *render.Problem {
	switch {
	case r.Result != nil && code == verdictCode(r.Result.Verdict):
		return nil
	case r.Result == nil && r.Started != nil && code == ExitOK:
		return nil
	}
	errs := split(err)
	if err == nil {
		errs = nil
	}
	var details, fixes []string
	for _, e := range errs {
		title, msg := annotation(e, nil) // without the advice: that is the fix
		details = append(details, title+": "+msg)
		if rule := ruleFor(e); rule.advice != nil && r.Settings != nil {
			fixes = append(fixes, rule.advice(r.Settings))
		}
	}
	title := "the job failed"
	if len(errs) > 0 {
		title = strings.ToLower(ruleFor(errs[0]).title)
	}
	head := "❓ no verdict: " + title
	switch {
	case code == ExitInterrupted:
		head = "⏹️ interrupted: the job was cancelled"
	case r.Result != nil && r.Result.Verdict == gate.Passed:
		head = "❌ job failed: " + title
	}
	// The text is redacted before it is escaped: an escaped secret would
	// no longer match.
	return &render.Problem{Headline: head, Detail: r.Redact.String(strings.Join(details, "; ")), Fix: r.Redact.String(strings.Join(fixes, " ")), Exit: int(code)}
}
