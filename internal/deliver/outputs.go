package deliver

import (
	"context"
	"fmt"
	"regexp"
	"strconv"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/exitcode"
)

// Output describes one output the tool sets.
type Output struct {
	Name string
	// Meaning is its description in action.yml.
	Meaning string
}

// Outputs is every output, in the order they are set: action.yml, the
// README and their tests read this table, and setting any other name is a
// programming error.
func Outputs() []Output {
	return []Output{
		{"test-run-id", "id of the test run triggered or attached to"},
		{"test-run-url", "link to the run in the SPLX Probe web UI (when workspace-id is set)"},
		{"status", `"triggered" without wait; the final API status after a wait (FINISHED, ERROR, CANCELED, ...) when it is one plain word, else UNKNOWN`},
		{"result", "pending (not waited), passed, failed, no-verdict, timed-out, interrupted or error"},
		{"total", "test cases in the run (after a wait)"},
		{"passed", "test cases the target withstood (after a wait)"},
		{"failed", "test cases where the attack succeeded: findings (after a wait)"},
		{"errors", "test cases that could not be evaluated (after a wait)"},
		{"junit-path", "path of the JUnit report, when written"},
		{"results-path", "path of the JSON results, when written"},
		{"report-path", "path of the PDF report, when downloaded"},
		{"sarif-path", "path of the SARIF file, when written"},
		{"codequality-path", "path of the GitLab Code Quality report, when written (GitLab)"},
		{"regressions", "probes worse than the baseline (when baseline-path was read)"},
		{"improvements", "probes better than the baseline (when baseline-path was read)"},
	}
}

// out is one output, by a name of the table.
func out(name, value string) ci.Output {
	for _, o := range Outputs() {
		if o.Name == name {
			return ci.Output{Name: name, Value: value}
		}
	}
	panic("deliver: output " + name + " is not in the outputs table")
}

// unknownStatus is the status output when no usable status was read.
const unknownStatus = "UNKNOWN"

// plainStatus is what a status output may hold: one short word.
var plainStatus = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,31}$`)

// Base is the outputs every exit sets: the run's id and link when there
// is a run, its status and the result. status is the API's (untrusted)
// text, "" when none was read: it reaches later steps' shells, so anything
// but a plain word becomes UNKNOWN.
func Base(r *Run, status, result string) []ci.Output {
	var outs []ci.Output
	if r.ID != 0 {
		outs = append(outs, out("test-run-id", strconv.Itoa(int(r.ID))))
		if u := r.URL(); u != "" {
			outs = append(outs, out("test-run-url", u))
		}
	}
	if !plainStatus.MatchString(status) {
		if status != "" && r.Log != nil {
			r.Log.Info(fmt.Sprintf("The API's status %q is not a plain word; the status output is %s.", escape.Line(status, 80), unknownStatus))
		}
		status = unknownStatus
	}
	return append(outs, out("status", status), out("result", result))
}

// outputs sets the result's outputs, and those of the files written.
type outputs struct{}

func (outputs) Name() string     { return "Outputs" }
func (outputs) Stage() Stage     { return AtVerdict }
func (outputs) Failure() Failure { return Warns }

func (outputs) Deliver(ctx context.Context, r *Run) error {
	res := r.Result
	result := string(res.Verdict)
	if ctx.Err() != nil {
		// Cancelled while delivering: the exit is 130, and result says so.
		result = exitcode.Interrupted.Result()
	}
	outs := Base(r, res.Status, result)
	outs = append(outs,
		out("total", strconv.FormatInt(res.Total, 10)),
		out("passed", strconv.FormatInt(res.Passed, 10)),
		out("failed", strconv.FormatInt(res.Failed, 10)),
		out("errors", strconv.FormatInt(res.Errors, 10)),
	)
	if res.Thresholds.Baseline != nil {
		outs = append(outs,
			out("regressions", strconv.Itoa(res.Regressions)),
			out("improvements", strconv.Itoa(res.Improvements)))
	}
	r.Log.Outputs(append(outs, r.outs...))
	return nil
}
