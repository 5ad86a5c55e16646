package gate

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/probe"
)

// bigRun is a finished run of n probe runs (ids 1..n), the n ids that
// were triggered, and a baseline of the same n probes.
func bigRun(n int) (*probe.TestRunStatus, []int32, *Baseline) {
	st := &probe.TestRunStatus{TestRunID: 1, Status: "FINISHED"}
	ids := make([]int32, n)
	base := &Baseline{TestRunID: 0, Probes: make(map[string]BaselineProbe, n)}
	for i := range n {
		id := int64(i + 1)
		st.ProbeRuns = append(st.ProbeRuns, probe.Run{ProbeName: fmt.Sprintf("Probe %d", id), ProbeID: id, ProbeRunID: 100 + id,
			TotalCount: 125, PassedCount: 125 - int64(i%3), FailedCount: int64(i % 3), Status: "FINISHED"})
		ids[i] = int32(id)
		base.Probes[strconv.FormatInt(id, 10)] = BaselineProbe{Failed: int64(i % 3), Total: 125}
	}
	return st, ids, base
}

// TestEvaluateIsLinear: Evaluate's work, counted in loop steps, grows
// linearly with the probe runs when every probe id is listed and a baseline
// of the same size is compared (a search of each id or each baseline probe
// in the run grew as its square: 20,000 × 20,000 steps).
func TestEvaluateIsLinear(t *testing.T) {
	t.Parallel()
	steps := func(n int, ids, baseline bool) int {
		st, expected, base := bigRun(n)
		th := Thresholds{MaxFailed: ptr(int64(1 << 40))}
		if !ids {
			expected = nil
		}
		if baseline {
			th.Baseline, th.MaxRegressionPercent = base, 1
		}
		var w work
		r := evaluate(st, th, expected, "", &w)
		if r.Verdict != Passed {
			t.Fatalf("%d probes: %s: %s", n, r.Verdict, r.Reason)
		}
		return w.steps
	}
	small, big := steps(2000, true, true), steps(20000, true, true)
	plain := steps(20000, false, false)
	if big > 10*small+10 {
		t.Errorf("10 × the probe runs took %d × the steps (%d, then %d), want 10 ×", big/small, small, big)
	}
	// Per probe run: judge it, note its id, look its id up, note its key,
	// look the baseline's probe up: 5 steps, against 2 without ids or a
	// baseline.
	if big > 5*20000 || plain > 2*20000 {
		t.Errorf("20,000 probe runs: %d steps with ids and a baseline, %d without; want at most 100,000 and 40,000", big, plain)
	}
}

// BenchmarkEvaluate judges 20,000 probe runs without probe ids or a
// baseline, and with every probe id listed and a 20,000-probe baseline:
// both are linear, so the second costs about the same.
func BenchmarkEvaluate(b *testing.B) {
	st, ids, base := bigRun(20000)
	th := Thresholds{MaxFailed: ptr(int64(1 << 40))}
	b.Run("20000/plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Evaluate(st, th, nil, "")
		}
	})
	b.Run("20000/ids+baseline", func(b *testing.B) {
		with := th
		with.Baseline, with.MaxRegressionPercent = base, 1
		b.ReportAllocs()
		for b.Loop() {
			Evaluate(st, with, ids, "")
		}
	})
}
