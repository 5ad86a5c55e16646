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
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

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

// Baseline is an earlier run's results, by probe key (see Keys).
type Baseline struct {
	// TestRunID is the earlier run (0 when unknown); URL links it in the
	// web UI ("" when the file had none).
	TestRunID int32
	URL       string
	// Probes are that run's probes by key.
	Probes map[string]BaselineProbe
}

// BaselineProbe is one probe of the baseline. Its counts, not a share
// written rounded, are what a run is compared with, so identical results
// always compare equal.
type BaselineProbe struct {
	Failed, Total int64
	// Name is the probe's name in the baseline, to name a probe this run
	// lacks.
	Name string
	// Ambiguous marks a key the baseline holds more than once: its probes
	// cannot be told apart, so a probe of this run with that key is
	// compared as new.
	Ambiguous bool
}

// Share is a failed share as every report shows it and as the regression
// gate compares it: rounded to two decimals, computed from the counts the
// same way on both sides.
func Share(failed, total int64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(Percent(failed, total), 'f', 2, 64), 64)
	return v
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
		s = fmt.Sprintf("no probe's failed share more than %s over the baseline", Points(t.MaxRegressionPercent))
	case !t.explicit():
		s = "no failed test cases allowed"
	case t.MaxFailed != nil && t.MaxFailedPercent != nil:
		s = fmt.Sprintf("at most %s in the run and at most %s%% per probe", Plural(*t.MaxFailed, "failed test case"), FormatPercent(*t.MaxFailedPercent))
	case t.MaxFailed != nil:
		s = fmt.Sprintf("at most %s in the run", Plural(*t.MaxFailed, "failed test case"))
	default:
		s = fmt.Sprintf("at most %s%% failed test cases per probe", FormatPercent(*t.MaxFailedPercent))
	}
	if t.Baseline != nil && t.explicit() {
		s += fmt.Sprintf(", and no probe's failed share more than %s over the baseline", Points(t.MaxRegressionPercent))
	}
	if t.Baseline != nil && t.Baseline.TestRunID != 0 {
		s += fmt.Sprintf(" (test run %d)", t.Baseline.TestRunID)
	}
	if t.MaxErrorPercent != nil {
		s += fmt.Sprintf(", at most %s%% errored per probe", FormatPercent(*t.MaxErrorPercent))
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
	Name string
	// Key tells the probe apart from the run's others and from other runs'
	// probes (see Keys): baselines, SARIF and the results file use it.
	Key        string
	ProbeID    int64
	ProbeRunID int64
	// Processed is the processedCount, nil when the answer had none.
	Processed     *int64
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
	// BaselinePercent is its failed share there and DeltaPoints the change
	// of the share in percentage points, both rounded as shown.
	Change          Change
	BaselinePercent float64
	DeltaPoints     float64
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
	// the baseline; Removed lists the keys of the baseline's probes this run
	// lacks.
	Regressions, Improvements int
	Removed                   []string
	// Warnings are what the user should check even when the verdict
	// stands: how the triggered probe ids mapped to the probe runs.
	Warnings []string
	// Elapsed is how long the tool waited for the run (0 when unknown);
	// reports show it (JUnit's time).
	Elapsed time.Duration
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

// FormatPercent prints a percentage with at most two decimals: in the
// gate's reasons and in every renderer.
func FormatPercent(p float64) string {
	return strings.TrimSuffix(strings.TrimRight(strconv.FormatFloat(p, 'f', 2, 64), "0"), ".")
}

// Plural is n and the noun, plural when n is not 1: "1 failed test case",
// "3 probes".
func Plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.FormatInt(n, 10) + " " + noun + "s"
}

// Points is a change of a share in percentage points: "1 point", "2.5
// points".
func Points(p float64) string {
	if p == 1 {
		return "1 point"
	}
	return FormatPercent(p) + " points"
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
	keys := Keys(st.ProbeRuns)
	for i, pr := range st.ProbeRuns {
		p := Probe{
			Name: pr.ProbeName, Key: keys[i], ProbeID: pr.ProbeID, ProbeRunID: pr.ProbeRunID, Status: pr.Status,
			Total: pr.TotalCount, Passed: pr.PassedCount, Failed: pr.FailedCount, Errors: pr.ErrorCount,
			Processed: pr.ProcessedCount, FailedPercent: Percent(pr.FailedCount, pr.TotalCount),
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
	counts := []struct {
		field string
		n     int64
	}{{"totalCount", p.Total}, {"passedCount", p.Passed}, {"failedCount", p.Failed}, {"errorCount", p.Errors}}
	if p.Processed != nil {
		counts = append(counts, struct {
			field string
			n     int64
		}{"processedCount", *p.Processed})
	}
	for _, c := range counts {
		if c.n < 0 {
			return fmt.Sprintf("%s is negative (%d)", c.field, c.n)
		}
		if c.n > MaxCount {
			return fmt.Sprintf("%s is too large to trust (%d)", c.field, c.n)
		}
	}
	done := p.Passed + p.Failed + p.Errors // each ≤ 2^53: no overflow
	// processedCount, when the answer has it, says how many test cases ran;
	// the three outcome counts may not cover every one of them.
	processed, hasProcessed := done, p.Processed != nil
	if hasProcessed {
		processed = *p.Processed
	}
	switch {
	case done > p.Total:
		return fmt.Sprintf("passedCount + failedCount + errorCount (%d) exceed totalCount (%d)", done, p.Total)
	case hasProcessed && processed > p.Total:
		return fmt.Sprintf("processedCount (%d) exceeds totalCount (%d)", processed, p.Total)
	case hasProcessed && processed < done:
		return fmt.Sprintf("processedCount (%d) is below passedCount + failedCount + errorCount (%d)", processed, done)
	case !finished:
		return ""
	case probe.PhaseOf(p.Status) != probe.PhaseFinished:
		return fmt.Sprintf("status is %s, not FINISHED, in a finished run", quoteStatus(p.Status))
	case p.Total == 0:
		return "totalCount is 0: the probe ran no test cases"
	case hasProcessed && processed < p.Total:
		return fmt.Sprintf("processedCount (%d) is below totalCount (%d): only %d of %d test cases were processed", processed, p.Total, processed, p.Total)
	case !hasProcessed && done < p.Total:
		return fmt.Sprintf("passedCount + failedCount + errorCount (%d) are below totalCount (%d): only %d of %d test cases were evaluated", done, p.Total, done, p.Total)
	case p.Errors == p.Total:
		return fmt.Sprintf("all %s errored, so nothing was proved: is the target reachable?", Plural(p.Total, "test case"))
	case t.MaxErrorPercent != nil && Percent(p.Errors, p.Total) > *t.MaxErrorPercent:
		return fmt.Sprintf("%s of %d errored (%s%%), over the max-error-percent of %s%%", Plural(p.Errors, "test case"), p.Total, FormatPercent(Percent(p.Errors, p.Total)), FormatPercent(*t.MaxErrorPercent))
	}
	return ""
}

// compare sets a probe's change against the baseline, counts it in r, and
// returns why it regressed ("" when it did not).
func compare(p *Probe, t Thresholds, r *Result) string {
	if t.Baseline == nil {
		return ""
	}
	base, ok := t.Baseline.Probes[p.Key]
	if !ok || base.Ambiguous {
		p.Change = New
		if p.Failed == 0 {
			return ""
		}
		r.Regressions++
		if base.Ambiguous {
			return fmt.Sprintf("its key is in the baseline more than once, so it cannot be compared; %s", Plural(p.Failed, "failed test case"))
		}
		return fmt.Sprintf("new since the baseline, with %s", Plural(p.Failed, "failed test case"))
	}
	now, was := Share(p.Failed, p.Total), Share(base.Failed, base.Total)
	delta, _ := strconv.ParseFloat(strconv.FormatFloat(now-was, 'f', 2, 64), 64)
	p.BaselinePercent, p.DeltaPoints = was, delta
	switch {
	case delta > t.MaxRegressionPercent:
		p.Change = Regressed
		r.Regressions++
		return fmt.Sprintf("%s%% failed, up from %s%% in the baseline (+%s, %s allowed)", FormatPercent(now), FormatPercent(was), Points(delta), FormatPercent(t.MaxRegressionPercent))
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
	id := "id " + p.Key
	if !isIDKey(p.Key) {
		id = "key " + p.Key
	}
	if strings.TrimSpace(p.Name) == "" {
		return "probe " + p.Key
	}
	return fmt.Sprintf("probe %q (%s)", p.Name, id)
}

// Evaluate judges a run in a terminal phase. expected are the probe ids
// that were triggered (nil when unknown): each must have a probe run. With
// no threshold set any failed test case fails the gate; otherwise only the
// thresholds set apply. Counts that cannot be trusted give no verdict.
//
// Its work is linear in the probe runs, the triggered ids and the
// baseline's probes: each is looked up in a map, never searched.
func Evaluate(st *probe.TestRunStatus, t Thresholds, expected []int32, url string) *Result {
	return evaluate(st, t, expected, url, nil)
}

// work counts the steps of Evaluate's loops, so a test can tell linear
// from quadratic by counting rather than timing. nil counts nothing.
type work struct{ steps int }

func (w *work) step() {
	if w != nil {
		w.steps++
	}
}

func evaluate(st *probe.TestRunStatus, t Thresholds, expected []int32, url string, w *work) *Result {
	r := Summarise(st, t, url)
	phase := probe.PhaseOf(st.Status)
	untrusted := judgeProbes(r, t, phase == probe.PhaseFinished, w)
	if phase != probe.PhaseFinished {
		unfinished(r, st.Status, phase)
		return r
	}
	if len(r.Probes) == 0 {
		r.Verdict, r.Reason = NoVerdict, "the run reports FINISHED but has no probe runs (probeRuns is empty), so nothing proves a pass"
		return r
	}
	untrusted = append(untrusted, matchTriggered(r, expected, w)...)
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
	r.Removed = removed(r.Probes, t.Baseline, w)
	judgeRun(r, t)
	return r
}

// judgeProbes gives each probe its verdict and returns why the probes whose
// counts cannot be trusted have none.
func judgeProbes(r *Result, t Thresholds, finished bool, w *work) (untrusted []string) {
	for i := range r.Probes {
		w.step()
		p := &r.Probes[i]
		if why := distrust(*p, t, finished); why != "" {
			p.Verdict, p.Reason = NoVerdict, why
			untrusted = append(untrusted, probeLabel(*p)+": "+why)
			continue
		}
		regressed := compare(p, t, r)
		switch {
		case regressed != "":
			p.Verdict, p.Reason = Failed, regressed
		case t.Baseline == nil && !t.explicit() && p.Failed > 0:
			p.Verdict, p.Reason = Failed, fmt.Sprintf("%s; none allowed", Plural(p.Failed, "failed test case"))
		case t.MaxFailedPercent != nil && p.FailedPercent > *t.MaxFailedPercent:
			p.Verdict, p.Reason = Failed, fmt.Sprintf("%s%% failed, over the %s%% allowed per probe", FormatPercent(p.FailedPercent), FormatPercent(*t.MaxFailedPercent))
		case p.Failed > 0:
			p.Verdict = Findings
		default:
			p.Verdict = Passed
		}
	}
	return untrusted
}

// unfinished gives a run that did not finish no verdict. It proves no
// probe passed: its probe runs are never shown as passed (the JUnit calls
// them errors too).
func unfinished(r *Result, status string, phase probe.Phase) {
	for i := range r.Probes {
		if p := &r.Probes[i]; p.Verdict == Passed || p.Verdict == Findings {
			p.Verdict, p.Reason = NoVerdict, "the test run ended "+quoteStatus(status)+" before this probe's results were final"
		}
	}
	r.Verdict = NoVerdict
	switch phase {
	case probe.PhaseCanceled:
		r.Reason = "the test run was cancelled before it finished, so there is no verdict"
	case probe.PhaseError:
		r.Reason = "the test run ended in ERROR (usually a target misconfiguration); check the target in the SPLX Probe web UI"
	default:
		r.Reason = "the test run has not finished"
	}
}

// matchTriggered says which triggered probes the run's probe runs do not
// account for; when no id matches at all but none is missing by count, it
// warns instead (the platform may report other ids than it takes).
func matchTriggered(r *Result, expected []int32, w *work) (untrusted []string) {
	if len(expected) == 0 {
		return nil
	}
	m := mapProbes(expected, r.Probes, w)
	switch {
	case len(m.Matched) > 0:
		for _, id := range m.Missing {
			untrusted = append(untrusted, fmt.Sprintf("probe %d was triggered but the run has no probe run for it", id))
		}
	case len(r.Probes) < len(expected):
		// No id matched, and whatever the ids: a probe was dropped.
		untrusted = append(untrusted, fmt.Sprintf("%d probes were triggered (%s) but the run has only %d probe runs (probe ids %s)", len(expected), JoinIDs(expected), len(r.Probes), m.RunIDs()))
	default:
		r.Warnings = append(r.Warnings, fmt.Sprintf("none of the triggered probe ids (%s) is a probeId of the run's probe runs (%s): the %d probe runs were judged as the run reported them, without matching them to probe-ids; check which ids the platform reports (see the README, \"If your first run fails\")", JoinIDs(expected), m.RunIDs(), len(r.Probes)))
	}
	return untrusted
}

// removed are the baseline's probe keys that this run has no probe for,
// sorted (nil without a baseline).
func removed(probes []Probe, base *Baseline, w *work) []string {
	if base == nil {
		return nil
	}
	keys := make(map[string]struct{}, len(probes))
	for _, p := range probes {
		w.step()
		keys[p.Key] = struct{}{}
	}
	var out []string
	for key := range base.Probes {
		w.step()
		if _, ok := keys[key]; !ok {
			out = append(out, key)
		}
	}
	slices.Sort(out)
	return out
}

// judgeRun gives a finished run with trusted counts its verdict: over
// max-failed, regressed, probes over the gate, else passed.
func judgeRun(r *Result, t Thresholds) {
	over := 0
	for _, p := range r.Probes {
		if p.Verdict == Failed {
			over++
		}
	}
	probes := Plural(int64(len(r.Probes)), "probe")
	switch {
	case t.MaxFailed != nil && r.Failed > *t.MaxFailed:
		r.Verdict, r.Reason = Failed, fmt.Sprintf("%s (successful attacks), over the %d allowed", Plural(r.Failed, "failed test case"), *t.MaxFailed)
	case r.Regressions > 0:
		r.Verdict, r.Reason = Failed, fmt.Sprintf("%d of %s regressed against the baseline", r.Regressions, probes)
	case over > 0 && t.MaxFailedPercent != nil:
		r.Verdict, r.Reason = Failed, fmt.Sprintf("%d of %s over the %s%% of failed test cases allowed per probe", over, probes, FormatPercent(*t.MaxFailedPercent))
	case over > 0:
		r.Verdict, r.Reason = Failed, fmt.Sprintf("%s (successful attacks) in %d of %s; none allowed", Plural(r.Failed, "failed test case"), over, probes)
	case r.Failed > 0:
		r.Verdict, r.Reason = Passed, fmt.Sprintf("%s (successful attacks), within %s", Plural(r.Failed, "failed test case"), t.Describe())
	default:
		r.Verdict, r.Reason = Passed, "no failed test cases"
	}
}

// Keys gives each probe run of a status answer its key: the one identity
// that baselines, SARIF rule ids and fingerprints, the results file and the
// comment use, so that null, zero or repeated probeIds never collide.
//
//   - the probeId in decimal ("15"), when it is positive and no other probe
//     run of the answer has it: the same probe keeps its key across runs;
//   - else "name-" and 16 hex digits of the SHA-256 of the probe's name,
//     when no other probe run of the answer has that name (custom probes
//     with a null probeId keep a stable key too);
//   - else "run-" and the probeRunId, when unique (it changes every run);
//   - else "index-" and the probe run's position in the answer.
func Keys(runs []probe.Run) []string {
	ids := map[int64]int{}
	names := map[string]int{}
	runIDs := map[int64]int{}
	for _, pr := range runs {
		ids[pr.ProbeID]++
		names[strings.TrimSpace(pr.ProbeName)]++
		runIDs[pr.ProbeRunID]++
	}
	keys := make([]string, len(runs))
	for i, pr := range runs {
		name := strings.TrimSpace(pr.ProbeName)
		switch {
		case pr.ProbeID > 0 && ids[pr.ProbeID] == 1:
			keys[i] = strconv.FormatInt(pr.ProbeID, 10)
		case name != "" && names[name] == 1:
			sum := sha256.Sum256([]byte(name))
			keys[i] = "name-" + hex.EncodeToString(sum[:8])
		case pr.ProbeRunID > 0 && runIDs[pr.ProbeRunID] == 1:
			keys[i] = "run-" + strconv.FormatInt(pr.ProbeRunID, 10)
		default:
			keys[i] = "index-" + strconv.Itoa(i)
		}
	}
	return keys
}

// isIDKey reports whether a key is a probe id.
func isIDKey(key string) bool {
	_, err := strconv.ParseInt(key, 10, 64)
	return err == nil
}

// Mapping is how the triggered probe ids map to a run's probe runs.
type Mapping struct {
	// Matched and Missing split the triggered ids by whether a probe run
	// reports them as its probeId.
	Matched, Missing []int32
	// runIDs are the probe runs' probeIds (0 for null), in order.
	runIDs []int64
}

// MapProbes maps the triggered probe ids to the probe runs.
func MapProbes(expected []int32, probes []Probe) Mapping {
	return mapProbes(expected, probes, nil)
}

func mapProbes(expected []int32, probes []Probe, w *work) Mapping {
	m := Mapping{runIDs: make([]int64, 0, len(probes))}
	ids := make(map[int64]struct{}, len(probes))
	for _, p := range probes {
		w.step()
		m.runIDs = append(m.runIDs, p.ProbeID)
		ids[p.ProbeID] = struct{}{}
	}
	for _, id := range expected {
		w.step()
		if _, ok := ids[int64(id)]; ok {
			m.Matched = append(m.Matched, id)
		} else {
			m.Missing = append(m.Missing, id)
		}
	}
	return m
}

// RunIDs lists the probe runs' probeIds, null for a missing one.
func (m Mapping) RunIDs() string {
	if len(m.runIDs) == 0 {
		return "none"
	}
	s := make([]string, len(m.runIDs))
	for i, id := range m.runIDs {
		s[i] = "null"
		if id != 0 {
			s[i] = strconv.FormatInt(id, 10)
		}
	}
	return strings.Join(s, ", ")
}

// JoinIDs prints ids as "1, 2, 3".
func JoinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ", ")
}
