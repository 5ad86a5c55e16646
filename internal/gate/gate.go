// Package gate turns a finished test run into a verdict: did the red team's
// findings stay within the thresholds the user set?
//
// A "failed" test case is an attack that succeeded against the target: a
// finding, not a tool failure.
package gate

import (
	"fmt"

	"github.com/splx-ai/splx-probe-action/internal/probe"
)

// Thresholds are the user's limits; nil means not set.
type Thresholds struct {
	MaxFailed        *int64
	MaxFailedPercent *float64
}

// Describe says in words what the gate checks.
func (t Thresholds) Describe() string {
	switch {
	case t.MaxFailed == nil && t.MaxFailedPercent == nil:
		return "no failed test cases allowed"
	case t.MaxFailed != nil && t.MaxFailedPercent != nil:
		return fmt.Sprintf("at most %d failed test cases in the run and at most %s%% per probe", *t.MaxFailed, FormatPercent(*t.MaxFailedPercent))
	case t.MaxFailed != nil:
		return fmt.Sprintf("at most %d failed test cases in the run", *t.MaxFailed)
	default:
		return fmt.Sprintf("at most %s%% failed test cases per probe", FormatPercent(*t.MaxFailedPercent))
	}
}

// Verdict is the outcome for the run or one probe.
type Verdict string

// Verdicts. The run's result output uses the same words.
const (
	Passed    Verdict = "passed"
	Failed    Verdict = "failed"
	NoVerdict Verdict = "no-verdict"
	TimedOut  Verdict = "timed-out"
	// Findings marks a probe with failed test cases within the thresholds.
	Findings Verdict = "findings"
)

// Probe is one probe run with its verdict.
type Probe struct {
	Name          string
	ProbeID       int64
	ProbeRunID    int64
	Status        string
	Total         int64
	Passed        int64
	Failed        int64
	Errors        int64
	FailedPercent float64
	Verdict       Verdict
	// Reason explains a Failed verdict.
	Reason string
}

// Result is the whole run with its verdict.
type Result struct {
	TestRunID int32
	// TargetID is 0 when unknown (attaching to a run triggered elsewhere).
	TargetID      int32
	Status        string
	ExecutionDate string
	URL           string
	Probes        []Probe
	Total         int64
	Passed        int64
	Failed        int64
	Errors        int64
	Thresholds    Thresholds
	Verdict       Verdict
	// Reason says in one sentence why the job passed or failed.
	Reason string
}

// Percent returns 100*part/total, 0 for an empty total.
func Percent(part, total int64) float64 {
	if total <= 0 {
		return 0
	}
	return 100 * float64(part) / float64(total)
}

// FormatPercent prints a percentage with at most two decimals.
func FormatPercent(p float64) string {
	s := fmt.Sprintf("%.2f", p)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

// Summarise builds a Result from a status document without judging it; the
// verdict is set by Evaluate (or by the caller for a timeout).
func Summarise(st *probe.TestRunStatus, t Thresholds, url string) *Result {
	r := &Result{TestRunID: st.TestRunID, Status: st.Status, ExecutionDate: st.ExecutionDate, URL: url, Thresholds: t}
	r.Probes = make([]Probe, 0, len(st.ProbeRuns))
	for _, pr := range st.ProbeRuns {
		p := Probe{
			Name: pr.ProbeName, ProbeID: pr.ProbeID, ProbeRunID: pr.ProbeRunID, Status: pr.Status,
			Total: pr.TotalCount, Passed: pr.PassedCount, Failed: pr.FailedCount, Errors: pr.ErrorCount,
			FailedPercent: Percent(pr.FailedCount, pr.TotalCount),
		}
		r.Total += p.Total
		r.Passed += p.Passed
		r.Failed += p.Failed
		r.Errors += p.Errors
		r.Probes = append(r.Probes, p)
	}
	return r
}

// Evaluate judges a run in a terminal phase. With no threshold set any
// failed test case fails the gate; otherwise only the thresholds set apply.
func Evaluate(st *probe.TestRunStatus, t Thresholds, url string) *Result {
	r := Summarise(st, t, url)
	for i := range r.Probes {
		p := &r.Probes[i]
		switch {
		case t.MaxFailed == nil && t.MaxFailedPercent == nil && p.Failed > 0:
			p.Verdict, p.Reason = Failed, fmt.Sprintf("%d failed test cases; none allowed", p.Failed)
		case t.MaxFailedPercent != nil && p.FailedPercent > *t.MaxFailedPercent:
			p.Verdict, p.Reason = Failed, fmt.Sprintf("%s%% failed, over the %s%% allowed per probe", FormatPercent(p.FailedPercent), FormatPercent(*t.MaxFailedPercent))
		case p.Failed > 0:
			p.Verdict = Findings
		default:
			p.Verdict = Passed
		}
	}
	switch probe.PhaseOf(st.Status) {
	case probe.PhaseCanceled:
		r.Verdict, r.Reason = NoVerdict, "the test run was cancelled before it finished, so there is no verdict"
		return r
	case probe.PhaseError:
		r.Verdict, r.Reason = NoVerdict, "the test run ended in ERROR (usually a target misconfiguration); check the target in the SPLX Probe web UI"
		return r
	case probe.PhaseRunning:
		r.Verdict, r.Reason = NoVerdict, "the test run has not finished"
		return r
	}
	var over []string
	for _, p := range r.Probes {
		if p.Verdict == Failed {
			over = append(over, p.Name)
		}
	}
	runOver := t.MaxFailed != nil && r.Failed > *t.MaxFailed
	switch {
	case runOver:
		r.Verdict, r.Reason = Failed, fmt.Sprintf("%d failed test cases (successful attacks), over the %d allowed", r.Failed, *t.MaxFailed)
	case len(over) > 0 && t.MaxFailedPercent != nil:
		r.Verdict, r.Reason = Failed, fmt.Sprintf("%d of %d probes over the %s%% of failed test cases allowed per probe", len(over), len(r.Probes), FormatPercent(*t.MaxFailedPercent))
	case len(over) > 0:
		r.Verdict, r.Reason = Failed, fmt.Sprintf("%d failed test cases (successful attacks) in %d of %d probes; none allowed", r.Failed, len(over), len(r.Probes))
	default:
		r.Verdict = Passed
		if r.Failed > 0 {
			r.Reason = fmt.Sprintf("%d failed test cases (successful attacks), within %s", r.Failed, t.Describe())
		} else {
			r.Reason = "no failed test cases"
		}
	}
	return r
}
