package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/probe"
)

// ExitCode is the tool's exit status. The codes are part of its contract:
// documented in the README and --help, and stable.
type ExitCode int

const (
	// ExitOK: triggered (without wait), or the gate passed.
	ExitOK ExitCode = 0
	// ExitGateFailed: findings over the threshold.
	ExitGateFailed ExitCode = 1
	// ExitInvalidInput: a setting is invalid (nothing was sent), the API
	// rejected the request with 400, or the documented trigger path answered
	// 404 or 405 and workspace-id, which the other path needs, is not set.
	ExitInvalidInput ExitCode = 2
	// ExitAuth: the token was rejected (401) or its user lacks access (403).
	ExitAuth ExitCode = 3
	// ExitNoVerdict: the run ended in ERROR or cancelled, or its results
	// cannot be trusted.
	ExitNoVerdict ExitCode = 4
	// ExitTimeout: the wait timed out.
	ExitTimeout ExitCode = 5
	// ExitAPI: the API or the network failed (after any retries), the
	// trigger's outcome is unknown, or a report file the user asked for could
	// not be written: a local write failure is 6 too, because like an API
	// failure it means a result the job promised is missing.
	ExitAPI ExitCode = 6
	// ExitInterrupted: the job was cancelled (SIGINT, SIGTERM, SIGHUP), by
	// the shell's convention for SIGINT (128+2).
	ExitInterrupted ExitCode = 130
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

// WriteError is a report file the user asked for that could not be
// written. What names the report for the annotation's title.
type WriteError struct {
	What string
	Path string
	Err  error
}

func (e *WriteError) Error() string { return fmt.Sprintf("could not write %s: %v", e.Path, e.Err) }

func (e *WriteError) Unwrap() error { return e.Err }

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
		{ExitAPI, "Report not written", is[*WriteError], nil},
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
	var we *WriteError
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
