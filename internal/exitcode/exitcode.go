// Package exitcode is the tool's exit statuses: one table that the exit
// mapping, --help, the result output and the README check read.
package exitcode

// Code is the tool's exit status. The codes are part of its contract:
// documented in the README and --help, and stable.
type Code int

const (
	// OK: triggered (without wait), or the gate passed.
	OK Code = 0
	// GateFailed: findings over the threshold.
	GateFailed Code = 1
	// InvalidInput: a setting is invalid (nothing was sent), the API
	// rejected the request with 400, or the documented trigger path answered
	// 404 or 405 and workspace-id, which the other path needs, is not set.
	InvalidInput Code = 2
	// Auth: the token was rejected (401) or its user lacks access (403).
	Auth Code = 3
	// NoVerdict: the run ended in ERROR or cancelled, or its results
	// cannot be trusted.
	NoVerdict Code = 4
	// Timeout: the wait timed out.
	Timeout Code = 5
	// API: the API or the network failed (after any retries), the
	// trigger's outcome is unknown, or a report file the user asked for could
	// not be written: a local write failure is 6 too, because like an API
	// failure it means a result the job promised is missing.
	API Code = 6
	// Interrupted: the job was cancelled (SIGINT, SIGTERM, SIGHUP), by
	// the shell's convention for SIGINT (128+2).
	Interrupted Code = 130
)

// Info is what one code means.
type Info struct {
	Code Code
	// Result is the result output of an exit with this code (a passed gate
	// and a run not waited for both exit 0; the flow says which).
	Result string
	// Help is the short meaning --help shows.
	Help string
}

// Table lists every code, in order.
func Table() []Info {
	return []Info{
		{OK, "passed", "success"},
		{GateFailed, "failed", "gate failed (findings over the threshold)"},
		{InvalidInput, "error", "invalid input"},
		{Auth, "error", "authentication or permission (401/403)"},
		{NoVerdict, "no-verdict", "no verdict (the run ended ERROR or CANCELED, or its results cannot be trusted)"},
		{Timeout, "timed-out", "wait timed out"},
		{API, "error", "API, network or report-file failure"},
		{Interrupted, "interrupted", "interrupted"},
	}
}

// Result is the result output of an exit with code c: "error" for a code
// the table does not know.
func (c Code) Result() string {
	for _, i := range Table() {
		if i.Code == c {
			return i.Result
		}
	}
	return "error"
}
