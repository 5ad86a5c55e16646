// Package gate turns a finished test run into a verdict: did the red team's
// findings stay within the thresholds the user set?
//
// A "failed" test case is an attack that succeeded against the target: a
// finding, not a tool failure.
//
// A verdict is only as good as its inputs: counts that are negative,
// inconsistent or too large to add, and finished runs without the probe
// results that prove it, give no verdict rather than a pass.
package gate

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/splx-ai/splx-probe-action/internal/probe"
)

// Thresholds are the user's limits; nil means not set.
type Thresholds struct {
	MaxFailed        *int64
	MaxFailedPercent *float64
	// MaxErrorPercent turns a probe whose share of errored test cases is
	// over it into no verdict.
	MaxErrorPercent *float64
	// Baseline is an earlier run to compare with (nil: none). With it and
	// neither MaxFailed nor MaxFailedPercent, only regressions fail.
	Baseline *Baseline
	// MaxRegressionPercent is how many percentage points a probe's failed
	// share may rise over the baseline's.
	MaxRegressionPercent float64
}

// Baseline is an earlier run's results, by probe id.
type Baseline struct {
	// TestRunID is the earlier run (0 when unknown).
	TestRunID int32
	// FailedPercent is each probe's failed share in that run.
	FailedPercent map[int64]float64
}

// Change is how a probe compares with the baseline.
type Change string

// Changes against the baseline.
const (
	Unchanged Change = "unchanged"
	Regressed Change = "regressed"
	Improved  Change = "improved"
	// New marks a probe that the baseline does not have.
	New Change = "new"
)

// explicit reports whether a threshold of findings was set.
func (t Thresholds) explicit() bool { return t.MaxFailed != nil || t.MaxFailedPercent != nil }

// Describe says in words what the gate checks.
func (t Thresholds) Describe() string {
	var s string
	switch {
	case t.Baseline != nil && !t.explicit():
		s = fmt.Sprintf("no probe's failed share more than %s points over the baseline", pct(t.MaxRegressionPercent))
	case !t.explicit():
		s = "no failed test cases allowed"
	case t.MaxFailed != nil && t.MaxFailedPercent != nil:
		s = fmt.Sprintf("at most %d failed test cases in the run and at most %s%% per probe", *t.MaxFailed, pct(*t.MaxFailedPercent))
	case t.MaxFailed != nil:
		s = fmt.Sprintf("at most %d failed test cases in the run", *t.MaxFailed)
	default:
		s = fmt.Sprintf("at most %s%% failed test cases per probe", pct(*t.MaxFailedPercent))
	}
	if t.Baseline != nil && t.explicit() {
		s += fmt.Sprintf(", and no probe's failed share more than %s points over the baseline", pct(t.MaxRegressionPercent))
	}
	if t.Baseline != nil && t.Baseline.TestRunID != 0 {
		s += fmt.Sprintf(" (test run %d)", t.Baseline.TestRunID)
	}
	if t.MaxErrorPercent != nil {
		s += fmt.Sprintf(", at most %s%% errored per probe", pct(*t.MaxErrorPercent))
	}
	return s
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
	// Reason explains a Failed or NoVerdict verdict.
	Reason string
	// Change compares the probe with the baseline ("" without one);
	// BaselinePercent is its failed share there.
	Change          Change
	BaselinePercent float64
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
	// Overflow is set when the totals could not be added up safely; they
	// are then meaningless.
	Overflow   bool
	Thresholds Thresholds
	Verdict    Verdict
	// Reason says in one sentence why the job passed or failed.
	Reason string
	// Reused, when set, says that the run was triggered by an earlier
	// attempt of the job and reused by this one ("reused: triggered by …").
	Reused string
	// Regressions and Improvements count the probes worse and better than
	// the baseline; Removed lists the baseline's probes this run lacks.
	Regressions, Improvements int
	Removed                   []int64
}

// MaxCount is the largest count the gate trusts: beyond 2^53 a count no
// longer converts to a percentage exactly, and no real run comes near it.
const MaxCount = 1 << 53

// Percent returns 100*part/total, 0 for an empty total.
func Percent(part, total int64) float64 {
	if total <= 0 {
		return 0
	}
	return 100 * float64(part) / float64(total)
}

// pct prints a percentage in a reason, with at most two decimals, as the
// renderers do.
func pct(p float64) string {
	return strings.TrimSuffix(strings.TrimRight(strconv.FormatFloat(p, 'f', 2, 64), "0"), ".")
}

// add returns a+b for counts of 0 or more, or false when the sum would
// overflow.
func add(a, b int64) (int64, bool) {
	if a > math.MaxInt64-b {
		return 0, false
	}
	return a + b, true
}

// Summarise builds a Result from a status document without judging it; the
// verdict is set by Evaluate (or by the caller for a timeout). Totals are
// added with overflow checks, negative counts left out: on overflow they are
// zero and Overflow is set.
func Summarise(st *probe.TestRunStatus, t Thresholds, url string) *Result {
	r := &Result{TestRunID: st.TestRunID, Status: st.Status, ExecutionDate: st.ExecutionDate, URL: url, Thresholds: t}
	r.Probes = make([]Probe, 0, len(st.ProbeRuns))
	ok := true
	for _, pr := range st.ProbeRuns {
		p := Probe{
			Name: pr.ProbeName, ProbeID: pr.ProbeID, ProbeRunID: pr.ProbeRunID, Status: pr.Status,
			Total: pr.TotalCount, Passed: pr.PassedCount, Failed: pr.FailedCount, Errors: pr.ErrorCount,
			FailedPercent: Percent(pr.FailedCount, pr.TotalCount),
		}
		// A negative count adds nothing: it must not cancel out another
		// probe's findings (Evaluate rejects it anyway).
		var ok1, ok2, ok3, ok4 bool
		r.Total, ok1 = add(r.Total, max(p.Total, 0))
		r.Passed, ok2 = add(r.Passed, max(p.Passed, 0))
		r.Failed, ok3 = add(r.Failed, max(p.Failed, 0))
		r.Errors, ok4 = add(r.Errors, max(p.Errors, 0))
		ok = ok && ok1 && ok2 && ok3 && ok4
		r.Probes = append(r.Probes, p)
	}
	if !ok {
		r.Overflow = true
		r.Total, r.Passed, r.Failed, r.Errors = 0, 0, 0, 0
	}
	return r
}

// distrust says why a probe run's counts cannot be judged, naming the field,
// or "" when they can. A finished run's probe runs must all be finished
// with every test case evaluated.
func distrust(p Probe, t Thresholds, finished bool) string {
	for _, c := range []struct {
		field string
		n     int64
	}{{"totalCount", p.Total}, {"passedCount", p.Passed}, {"failedCount", p.Failed}, {"errorCount", p.Errors}} {
		if c.n < 0 {
			return fmt.Sprintf("%s is negative (%d)", c.field, c.n)
		}
		if c.n > MaxCount {
			return fmt.Sprintf("%s is too large to trust (%d)", c.field, c.n)
		}
	}
	done := p.Passed + p.Failed + p.Errors // each ≤ 2^53: no overflow
	switch {
	case done > p.Total:
		return fmt.Sprintf("passedCount + failedCount + errorCount (%d) exceed totalCount (%d)", done, p.Total)
	case !finished:
		return ""
	case probe.PhaseOf(p.Status) != probe.PhaseFinished:
		return fmt.Sprintf("status is %s, not FINISHED, in a finished run", quoteStatus(p.Status))
	case p.Total == 0:
		return "totalCount is 0: the probe ran no test cases"
	case done < p.Total:
		return fmt.Sprintf("only %d of totalCount %d test cases were evaluated", done, p.Total)
	case p.Errors == p.Total:
		return fmt.Sprintf("errorCount equals totalCount (%d): every test case errored, so nothing was proved (is the target reachable?)", p.Total)
	case t.MaxErrorPercent != nil && Percent(p.Errors, p.Total) > *t.MaxErrorPercent:
		return fmt.Sprintf("errorCount is %s%% of totalCount, over the max-error-percent of %s%%", pct(Percent(p.Errors, p.Total)), pct(*t.MaxErrorPercent))
	}
	return ""
}

// compare sets a probe's change against the baseline, counts it in r, and
// returns why it regressed ("" when it did not).
func compare(p *Probe, t Thresholds, r *Result) string {
	if t.Baseline == nil {
		return ""
	}
	base, ok := t.Baseline.FailedPercent[p.ProbeID]
	if !ok {
		p.Change = New
		if p.Failed > 0 {
			r.Regressions++
			return fmt.Sprintf("new since the baseline, with %d failed test cases", p.Failed)
		}
		return ""
	}
	p.BaselinePercent = base
	delta := p.FailedPercent - base
	switch {
	case delta > t.MaxRegressionPercent:
		p.Change = Regressed
		r.Regressions++
		return fmt.Sprintf("%s%% failed, up from %s%% in the baseline (+%s points, %s allowed)", pct(p.FailedPercent), pct(base), pct(delta), pct(t.MaxRegressionPercent))
	case delta < 0:
		p.Change = Improved
		r.Improvements++
	default:
		p.Change = Unchanged
	}
	return ""
}

// quoteStatus shows an API status in a reason; the caller's renderer escapes
// it for its destination.
func quoteStatus(s string) string {
	if strings.TrimSpace(s) == "" {
		return "empty"
	}
	return s
}

// probeLabel names a probe in a reason.
func probeLabel(p Probe) string {
	if strings.TrimSpace(p.Name) == "" {
		return fmt.Sprintf("probe %d", p.ProbeID)
	}
	return fmt.Sprintf("probe %q (id %d)", p.Name, p.ProbeID)
}

// Evaluate judges a run in a terminal phase. expected are the probe ids
// that were triggered (nil when unknown): each must have a probe run. With
// no threshold set any failed test case fails the gate; otherwise only the
// thresholds set apply. Counts that cannot be trusted give no verdict.
func Evaluate(st *probe.TestRunStatus, t Thresholds, expected []int32, url string) *Result {
	r := Summarise(st, t, url)
	phase := probe.PhaseOf(st.Status)
	var untrusted []string
	for i := range r.Probes {
		p := &r.Probes[i]
		if why := distrust(*p, t, phase == probe.PhaseFinished); why != "" {
			p.Verdict, p.Reason = NoVerdict, why
			untrusted = append(untrusted, probeLabel(*p)+": "+why)
			continue
		}
		regressed := compare(p, t, r)
		switch {
		case regressed != "":
			p.Verdict, p.Reason = Failed, regressed
		case t.Baseline == nil && !t.explicit() && p.Failed > 0:
			p.Verdict, p.Reason = Failed, fmt.Sprintf("%d failed test cases; none allowed", p.Failed)
		case t.MaxFailedPercent != nil && p.FailedPercent > *t.MaxFailedPercent:
			p.Verdict, p.Reason = Failed, fmt.Sprintf("%s%% failed, over the %s%% allowed per probe", pct(p.FailedPercent), pct(*t.MaxFailedPercent))
		case p.Failed > 0:
			p.Verdict = Findings
		default:
			p.Verdict = Passed
		}
	}
	switch phase {
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
	if len(r.Probes) == 0 {
		r.Verdict, r.Reason = NoVerdict, "the run reports FINISHED but has no probe runs (probeRuns is empty), so nothing proves a pass"
		return r
	}
	for _, id := range expected {
		if !slices.ContainsFunc(r.Probes, func(p Probe) bool { return p.ProbeID == int64(id) }) {
			untrusted = append(untrusted, fmt.Sprintf("probe %d was triggered but the run has no probe run for it", id))
		}
	}
	if r.Overflow {
		untrusted = append(untrusted, "the counts are too large to add up")
	}
	if len(untrusted) > 0 {
		r.Verdict, r.Reason = NoVerdict, "the results cannot be trusted: "+untrusted[0]
		if len(untrusted) > 1 {
			r.Reason += fmt.Sprintf(" (and %d more problems)", len(untrusted)-1)
		}
		return r
	}
	var over []string
	for _, p := range r.Probes {
		if p.Verdict == Failed {
			over = append(over, p.Name)
		}
	}
	if t.Baseline != nil {
		for id := range t.Baseline.FailedPercent {
			if !slices.ContainsFunc(r.Probes, func(p Probe) bool { return p.ProbeID == id }) {
				r.Removed = append(r.Removed, id)
			}
		}
		slices.Sort(r.Removed)
	}
	runOver := t.MaxFailed != nil && r.Failed > *t.MaxFailed
	switch {
	case runOver:
		r.Verdict, r.Reason = Failed, fmt.Sprintf("%d failed test cases (successful attacks), over the %d allowed", r.Failed, *t.MaxFailed)
	case r.Regressions > 0:
		r.Verdict, r.Reason = Failed, fmt.Sprintf("%d of %d probes regressed against the baseline", r.Regressions, len(r.Probes))
	case len(over) > 0 && t.MaxFailedPercent != nil:
		r.Verdict, r.Reason = Failed, fmt.Sprintf("%d of %d probes over the %s%% of failed test cases allowed per probe", len(over), len(r.Probes), pct(*t.MaxFailedPercent))
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
