package gate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/probe"
)

func ptr[T any](v T) *T { return &v }

func status(st string, runs ...probe.Run) *probe.TestRunStatus {
	return &probe.TestRunStatus{TestRunID: 1, Status: st, ProbeRuns: runs}
}

func run(name string, total, passed, failed, errs int64) probe.Run {
	return probe.Run{ProbeName: name, TotalCount: total, PassedCount: passed, FailedCount: failed, ErrorCount: errs, Status: "FINISHED"}
}

func TestEvaluate(t *testing.T) {
	t.Parallel()
	a := run("A", 200, 190, 10, 0) // 5%
	b := run("B", 50, 48, 1, 1)    // 2%
	clean := run("C", 10, 9, 0, 1)
	tests := []struct {
		name   string
		st     *probe.TestRunStatus
		th     Thresholds
		want   Verdict
		probes []Verdict
	}{
		{"no threshold, findings", status("FINISHED", a, b), Thresholds{}, Failed, []Verdict{Failed, Failed}},
		{"no threshold, errors only", status("FINISHED", clean), Thresholds{}, Passed, []Verdict{Passed}},
		{"max-failed equal", status("FINISHED", a, b), Thresholds{MaxFailed: ptr[int64](11)}, Passed, []Verdict{Findings, Findings}},
		{"max-failed one under", status("FINISHED", a, b), Thresholds{MaxFailed: ptr[int64](10)}, Failed, []Verdict{Findings, Findings}},
		{"max-failed zero, clean", status("FINISHED", clean), Thresholds{MaxFailed: ptr[int64](0)}, Passed, []Verdict{Passed}},
		{"percent equal", status("FINISHED", a, b), Thresholds{MaxFailedPercent: ptr(5.0)}, Passed, []Verdict{Findings, Findings}},
		{"percent just under", status("FINISHED", a, b), Thresholds{MaxFailedPercent: ptr(4.999)}, Failed, []Verdict{Failed, Findings}},
		{"percent zero", status("FINISHED", a, clean), Thresholds{MaxFailedPercent: ptr(0.0)}, Failed, []Verdict{Failed, Passed}},
		{"both, count breaks", status("FINISHED", a, b), Thresholds{MaxFailed: ptr[int64](5), MaxFailedPercent: ptr(50.0)}, Failed, []Verdict{Findings, Findings}},
		{"both, percent breaks", status("FINISHED", a, b), Thresholds{MaxFailed: ptr[int64](100), MaxFailedPercent: ptr(1.0)}, Failed, []Verdict{Failed, Failed}},
		{"error run", status("ERROR", a), Thresholds{MaxFailed: ptr[int64](100)}, NoVerdict, []Verdict{NoVerdict}},
		{"cancelled run", status("cancelled", clean), Thresholds{}, NoVerdict, []Verdict{NoVerdict}},
		{"empty total", status("FINISHED", run("Z", 0, 0, 0, 0)), Thresholds{MaxFailedPercent: ptr(0.0)}, NoVerdict, []Verdict{NoVerdict}},
		{"error percent at limit", status("FINISHED", run("E", 10, 8, 0, 2)), Thresholds{MaxErrorPercent: ptr(20.0)}, Passed, []Verdict{Passed}},
		{"error percent over limit", status("FINISHED", run("E", 10, 7, 0, 3)), Thresholds{MaxErrorPercent: ptr(20.0)}, NoVerdict, []Verdict{NoVerdict}},
	}
	for _, tt := range tests {
		r := Evaluate(tt.st, tt.th, nil, "")
		if r.Verdict != tt.want {
			t.Errorf("%s: verdict %s (%s), want %s", tt.name, r.Verdict, r.Reason, tt.want)
		}
		for i, v := range tt.probes {
			if r.Probes[i].Verdict != v {
				t.Errorf("%s: probe %s verdict %s, want %s", tt.name, r.Probes[i].Name, r.Probes[i].Verdict, v)
			}
		}
	}
	r := Evaluate(status("FINISHED", a, b), Thresholds{}, nil, "")
	if r.Total != 250 || r.Passed != 238 || r.Failed != 11 || r.Errors != 1 {
		t.Errorf("totals %+v", r)
	}
}

// FuzzEvaluate: any status document the API could send decodes and is
// judged without a panic, and the verdict agrees with the probes.
func FuzzEvaluate(f *testing.F) {
	f.Add([]byte(`{"testRunId":1,"status":"FINISHED","probeRuns":[{"probeName":"a","totalCount":5,"failedCount":9}]}`), int64(3), 2.5)
	f.Add([]byte(`{"status":"ERROR","probeRuns":[{"totalCount":-1,"failedCount":-5}]}`), int64(-1), -1.0)
	f.Add([]byte(`{"status":null,"probeRuns":{}}`), int64(0), 0.0)
	f.Fuzz(func(t *testing.T, body []byte, maxFailed int64, maxPct float64) {
		var st probe.TestRunStatus
		if json.Unmarshal(body, &st) != nil {
			return
		}
		th := Thresholds{}
		if maxFailed >= 0 {
			th.MaxFailed = &maxFailed
		}
		if maxPct >= 0 && maxPct <= 100 {
			th.MaxFailedPercent = &maxPct
		}
		r := Evaluate(&st, th, nil, "")
		if r.Verdict == Passed {
			for _, p := range r.Probes {
				if p.Verdict == Failed {
					t.Fatalf("run passed with a failed probe: %+v", r)
				}
			}
		}
		if r.Verdict == Passed && probe.PhaseOf(st.Status) != probe.PhaseFinished {
			t.Fatalf("a %q run passed", st.Status)
		}
		if r.Verdict == Passed {
			// A pass needs probe runs, each finished with sound counts.
			if len(r.Probes) == 0 || r.Overflow {
				t.Fatalf("passed without trustworthy probe runs: %+v", r)
			}
			for _, p := range r.Probes {
				// Every test case was evaluated, or processedCount says
				// every one was processed.
				complete := p.Passed+p.Failed+p.Errors == p.Total ||
					p.Processed != nil && *p.Processed == p.Total && p.Passed+p.Failed+p.Errors <= p.Total
				if p.Total <= 0 || p.Passed < 0 || p.Failed < 0 || p.Errors < 0 || p.Errors == p.Total ||
					!complete || probe.PhaseOf(p.Status) != probe.PhaseFinished {
					t.Fatalf("passed with untrustworthy probe %+v", p)
				}
			}
		}
		if r.Reason == "" && r.Verdict != Passed {
			t.Fatalf("verdict %s without a reason", r.Verdict)
		}
	})
}

// TestUntrustedCounts: every input the gate cannot trust gives no verdict,
// whatever the thresholds, with a reason that names the probe and the field.
func TestUntrustedCounts(t *testing.T) {
	t.Parallel()
	big := int64(math.MaxInt64 - 1)
	withStatus := func(p probe.Run, st string) probe.Run { p.Status = st; return p }
	real := run("Real", 100, 95, 5, 0)
	tests := []struct {
		name     string
		st       *probe.TestRunStatus
		expected []int32
		reason   string
	}{
		{"negative failed cancels real findings", status("FINISHED", real, run("Neg", 10, 15, -5, 0)), nil, `"Neg" (key name-`},
		{"negative total", status("FINISHED", run("N", -1, 0, 0, 0)), nil, "totalCount is negative"},
		{"negative passed", status("FINISHED", run("N", 10, -1, 0, 0)), nil, "passedCount is negative"},
		{"negative errors", status("FINISHED", run("N", 10, 11, 0, -1)), nil, "errorCount is negative"},
		{"findings in an empty probe", status("FINISHED", run("E", 0, 0, 3, 0)), nil, "exceed totalCount (0)"},
		{"parts larger than total", status("FINISHED", run("P", 10, 10, 1, 0)), nil, "(11) exceed totalCount (10)"},
		{"counts near 2^63", status("FINISHED", run("A", big, big, 0, 0), run("B", big, big, 0, 0)), nil, "totalCount is too large to trust"},
		{"sums overflow across probes", status("FINISHED", bigRuns(2000)...), nil, "too large to add up"},
		{"finished, no probe runs", status("FINISHED"), nil, "no probe runs"},
		{"finished, probeRuns null", &probe.TestRunStatus{Status: "FINISHED", ProbeRuns: nil}, nil, "no probe runs"},
		{"finished, probes still pending", status("FINISHED", withStatus(run("P", 10, 0, 0, 0), "PENDING")), nil, "status is PENDING, not FINISHED"},
		{"finished, probe status empty", status("FINISHED", withStatus(run("P", 10, 10, 0, 0), "")), nil, "status is empty"},
		{"finished, nothing evaluated", status("FINISHED", run("P", 10, 0, 0, 0)), nil, "passedCount + failedCount + errorCount (0) are below totalCount (10): only 0 of 10 test cases were evaluated"},
		{"processedCount short of total", status("FINISHED", processed(run("P", 10, 7, 1, 0), 8)), nil, "processedCount (8) is below totalCount (10): only 8 of 10 test cases were processed"},
		{"processedCount over total", status("FINISHED", processed(run("P", 10, 9, 1, 0), 11)), nil, "processedCount (11) exceeds totalCount (10)"},
		{"processedCount under the outcomes", status("FINISHED", processed(run("P", 10, 9, 1, 0), 9)), nil, "processedCount (9) is below passedCount + failedCount + errorCount (10)"},
		{"processedCount negative", status("FINISHED", processed(run("P", 10, 9, 1, 0), -1)), nil, "processedCount is negative"},
		{"fewer probe runs than triggered, foreign ids", status("FINISHED", withID(real, 9001)), []int32{1, 2}, "2 probes were triggered (1, 2) but the run has only 1 probe runs (probe ids 9001)"},
		{"fewer probe runs than triggered, null ids", status("FINISHED", real), []int32{1, 2}, "(probe ids null)"},
		{"finished, probe ran nothing", status("FINISHED", run("P", 0, 0, 0, 0)), nil, "totalCount is 0"},
		{"every attack errored", status("FINISHED", run("Down", 50, 0, 0, 50)), nil, "all 50 test cases errored"},
		{"triggered probe missing", status("FINISHED", withID(real, 1)), []int32{1, 2}, "probe 2 was triggered but the run has no probe run"},
	}
	thresholds := []Thresholds{{}, {MaxFailed: ptr[int64](0)}, {MaxFailedPercent: ptr(0.0)}, {MaxFailed: ptr[int64](math.MaxInt64), MaxFailedPercent: ptr(100.0)}}
	for _, tt := range tests {
		for _, th := range thresholds {
			r := Evaluate(tt.st, th, tt.expected, "")
			if r.Verdict != NoVerdict || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("%s (%s): %s: %s, want no-verdict naming %q", tt.name, th.Describe(), r.Verdict, r.Reason, tt.reason)
			}
			if r.Total < 0 || r.Failed < 0 || r.Passed < 0 || r.Errors < 0 {
				t.Errorf("%s: a total is negative: %+v", tt.name, r)
			}
		}
	}
}

func withID(p probe.Run, id int64) probe.Run { p.ProbeID = id; return p }

func processed(p probe.Run, n int64) probe.Run { p.ProcessedCount = &n; return p }

// TestProcessedCount: a finished probe whose outcome counts fall short of
// its total is judged when processedCount says every test case ran.
func TestProcessedCount(t *testing.T) {
	t.Parallel()
	r := Evaluate(status("FINISHED", processed(run("P", 10, 8, 1, 0), 10)), Thresholds{MaxFailed: ptr[int64](1)}, nil, "")
	if r.Verdict != Passed {
		t.Errorf("verdict %s (%s), want passed", r.Verdict, r.Reason)
	}
	r = Evaluate(status("FINISHED", processed(run("P", 10, 8, 1, 0), 10)), Thresholds{}, nil, "")
	if r.Verdict != Failed {
		t.Errorf("verdict %s (%s), want failed: a finding is a finding", r.Verdict, r.Reason)
	}
}

// TestProbeIDMapping: when some triggered ids match, all must; when none do
// (another id space, or null), the probe runs are judged by count with one
// warning that names both lists.
func TestProbeIDMapping(t *testing.T) {
	t.Parallel()
	a, b := run("A", 10, 10, 0, 0), run("B", 10, 10, 0, 0)
	tests := []struct {
		name     string
		runs     []probe.Run
		expected []int32
		want     Verdict
		warning  string
		reason   string
	}{
		{"all match", []probe.Run{withID(a, 1), withID(b, 2)}, []int32{1, 2}, Passed, "", ""},
		{"some match: all must", []probe.Run{withID(a, 1), withID(b, 9)}, []int32{1, 2}, NoVerdict, "", "probe 2 was triggered but the run has no probe run for it"},
		{"none match: judged by count", []probe.Run{withID(a, 15), withID(b, 16)}, []int32{1, 2}, Passed,
			"none of the triggered probe ids (1, 2) is a probeId of the run's probe runs (15, 16)", ""},
		{"null ids: judged by count", []probe.Run{a, b}, []int32{1, 2}, Passed, "(null, null)", ""},
		{"more probe runs than triggered", []probe.Run{withID(a, 15), withID(b, 16), run("C", 10, 10, 0, 0)}, []int32{1, 2}, Passed, "the 3 probe runs were judged", ""},
		{"fewer probe runs, none match", []probe.Run{withID(a, 15)}, []int32{1, 2}, NoVerdict, "", "2 probes were triggered (1, 2) but the run has only 1 probe runs"},
		{"findings still fail by count", []probe.Run{withID(run("A", 10, 9, 1, 0), 15)}, []int32{1}, Failed, "(1)", ""},
	}
	for _, tt := range tests {
		r := Evaluate(status("FINISHED", tt.runs...), Thresholds{}, tt.expected, "")
		if r.Verdict != tt.want || !strings.Contains(r.Reason, tt.reason) {
			t.Errorf("%s: %s (%s), want %s naming %q", tt.name, r.Verdict, r.Reason, tt.want, tt.reason)
		}
		got := strings.Join(r.Warnings, "\n")
		if (tt.warning == "") != (got == "") || !strings.Contains(got, tt.warning) || len(r.Warnings) > 1 {
			t.Errorf("%s: warnings %q, want one naming %q", tt.name, r.Warnings, tt.warning)
		}
	}
}

// TestKeys: null, zero and repeated probeIds never collide; a usable id is
// the key (what earlier versions used), names keep custom probes stable
// across runs.
func TestKeys(t *testing.T) {
	t.Parallel()
	pr := func(id int64, name string, runID int64) probe.Run {
		return probe.Run{ProbeID: id, ProbeName: name, ProbeRunID: runID}
	}
	tests := []struct {
		name string
		runs []probe.Run
		want []string
	}{
		{"unique ids", []probe.Run{pr(1, "A", 10), pr(2, "B", 11)}, []string{"1", "2"}},
		{"null ids, names", []probe.Run{pr(0, "Custom A", 10), pr(0, "Custom B", 11)}, []string{"name-" + nameHash("Custom A"), "name-" + nameHash("Custom B")}},
		{"repeated ids, names", []probe.Run{pr(5, "A", 10), pr(5, "B", 11), pr(6, "C", 12)}, []string{"name-" + nameHash("A"), "name-" + nameHash("B"), "6"}},
		{"repeated ids and names, run ids", []probe.Run{pr(5, "A", 10), pr(5, "A", 11)}, []string{"run-10", "run-11"}},
		{"nothing usable", []probe.Run{pr(0, "", 0), pr(0, " ", 0)}, []string{"index-0", "index-1"}},
		{"negative id", []probe.Run{pr(-3, "N", 1)}, []string{"name-" + nameHash("N")}},
	}
	for _, tt := range tests {
		got := Keys(tt.runs)
		if strings.Join(got, " ") != strings.Join(tt.want, " ") {
			t.Errorf("%s: keys %q, want %q", tt.name, got, tt.want)
		}
	}
	// The same custom probe in the next run keeps its key, whatever its
	// probe run id.
	if a, b := Keys([]probe.Run{pr(0, "Custom", 10)}), Keys([]probe.Run{pr(0, "Custom", 99)}); a[0] != b[0] {
		t.Errorf("keys %s and %s differ across runs", a[0], b[0])
	}
	// Baselines match by key: two null-id probes do not share one entry.
	base := &Baseline{Probes: map[string]BaselineProbe{"name-" + nameHash("Custom A"): {Failed: 0, Total: 10}, "name-" + nameHash("Custom B"): {Failed: 5, Total: 10}}}
	r := Evaluate(status("FINISHED", run("Custom A", 10, 9, 1, 0), run("Custom B", 10, 9, 1, 0)), Thresholds{Baseline: base}, nil, "")
	if r.Probes[0].Change != Regressed || r.Probes[1].Change != Improved {
		t.Errorf("changes %s, %s; want regressed, improved", r.Probes[0].Change, r.Probes[1].Change)
	}
}

func nameHash(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:8])
}

// bigRuns are n probe runs each with sound counts just under MaxCount:
// their sum overflows int64.
func bigRuns(n int) []probe.Run {
	runs := make([]probe.Run, n)
	for i := range runs {
		runs[i] = run("Big", MaxCount, MaxCount, 0, 0)
	}
	return runs
}

// TestBaseline: with a baseline and no explicit threshold only regressions
// fail, at and around max-regression-percent; a new probe with findings is
// a regression; removed probes and improvements are reported; explicit
// thresholds still apply.
func TestBaseline(t *testing.T) {
	t.Parallel()
	withID := func(p probe.Run, id int64) probe.Run { p.ProbeID = id; return p }
	known := withID(run("Known", 100, 90, 10, 0), 1) // 10%
	base := &Baseline{TestRunID: 900, Probes: map[string]BaselineProbe{"1": {Failed: 8, Total: 100}, "2": {Failed: 5, Total: 100}}}
	tests := []struct {
		name        string
		runs        []probe.Run
		th          Thresholds
		want        Verdict
		change      Change
		regressions int
	}{
		{"rise under the allowance", []probe.Run{known}, Thresholds{Baseline: base, MaxRegressionPercent: 2.5}, Passed, Unchanged, 0},
		{"rise at the allowance", []probe.Run{known}, Thresholds{Baseline: base, MaxRegressionPercent: 2}, Passed, Unchanged, 0},
		{"rise just over the allowance", []probe.Run{known}, Thresholds{Baseline: base, MaxRegressionPercent: 1.99}, Failed, Regressed, 1},
		{"any rise with the default 0", []probe.Run{known}, Thresholds{Baseline: base}, Failed, Regressed, 1},
		{"known findings, no rise", []probe.Run{withID(run("Known", 100, 92, 8, 0), 1)}, Thresholds{Baseline: base}, Passed, Unchanged, 0},
		{"improvement", []probe.Run{withID(run("Known", 100, 95, 5, 0), 1)}, Thresholds{Baseline: base}, Passed, Improved, 0},
		{"new probe with findings", []probe.Run{withID(run("New", 10, 9, 1, 0), 7)}, Thresholds{Baseline: base}, Failed, New, 1},
		{"new probe, clean", []probe.Run{withID(run("New", 10, 10, 0, 0), 7)}, Thresholds{Baseline: base}, Passed, New, 0},
		{"explicit threshold still applies", []probe.Run{withID(run("Known", 100, 92, 8, 0), 1)}, Thresholds{Baseline: base, MaxFailedPercent: ptr(5.0)}, Failed, Unchanged, 0},
	}
	for _, tt := range tests {
		r := Evaluate(status("FINISHED", tt.runs...), tt.th, nil, "")
		if r.Verdict != tt.want || r.Probes[0].Change != tt.change || r.Regressions != tt.regressions {
			t.Errorf("%s: %s (%s), change %s, %d regressions; want %s, %s, %d", tt.name, r.Verdict, r.Reason, r.Probes[0].Change, r.Regressions, tt.want, tt.change, tt.regressions)
		}
		if len(r.Removed) != 1 && tt.runs[0].ProbeID == 1 {
			t.Errorf("%s: removed %v, want [2]", tt.name, r.Removed)
		}
	}
	r := Evaluate(status("FINISHED", withID(run("Known", 100, 95, 5, 0), 1)), Thresholds{Baseline: base}, nil, "")
	if r.Improvements != 1 || !strings.Contains(r.Thresholds.Describe(), "baseline (test run 900)") {
		t.Errorf("improvements %d, gate %q", r.Improvements, r.Thresholds.Describe())
	}
}

// TestBaselineSameCounts: the same counts, or the same share from other
// counts, never regress, however the share rounds; a rise shows as the
// rounded points both sides show.
func TestBaselineSameCounts(t *testing.T) {
	t.Parallel()
	base := &Baseline{Probes: map[string]BaselineProbe{"1": {Failed: 1, Total: 3}, "2": {Failed: 2, Total: 7}}}
	runs := []probe.Run{run("Third", 6, 4, 2, 0), run("Sevenths", 7, 5, 2, 0)}
	runs[0].ProbeID, runs[1].ProbeID = 1, 2
	r := Evaluate(status("FINISHED", runs...), Thresholds{Baseline: base}, nil, "")
	if r.Verdict != Passed || r.Probes[0].Change != Unchanged || r.Probes[1].Change != Unchanged || r.Probes[0].DeltaPoints != 0 {
		t.Errorf("%s (%s): changes %s %s, delta %v", r.Verdict, r.Reason, r.Probes[0].Change, r.Probes[1].Change, r.Probes[0].DeltaPoints)
	}
	runs[0] = run("Third", 3, 1, 2, 0) // 66.67% against 33.33%
	runs[0].ProbeID = 1
	for allowed, want := range map[float64]Verdict{33.34: Passed, 33.33: Failed} {
		r = Evaluate(status("FINISHED", runs...), Thresholds{Baseline: base, MaxRegressionPercent: allowed}, nil, "")
		if r.Verdict != want || r.Probes[0].DeltaPoints != 33.34 {
			t.Errorf("%v allowed: %s (%s), delta %v; want %s", allowed, r.Verdict, r.Reason, r.Probes[0].DeltaPoints, want)
		}
	}
}
