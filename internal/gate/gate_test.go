package gate

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/probe"
)

func ptr[T any](v T) *T { return &v }

func status(st string, runs ...probe.ProbeRun) *probe.TestRunStatus {
	return &probe.TestRunStatus{TestRunID: 1, Status: st, ProbeRuns: runs}
}

func run(name string, total, passed, failed, errs int64) probe.ProbeRun {
	return probe.ProbeRun{ProbeName: name, TotalCount: total, PassedCount: passed, FailedCount: failed, ErrorCount: errs, Status: "FINISHED"}
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
				if p.Total <= 0 || p.Passed < 0 || p.Failed < 0 || p.Errors < 0 || p.Errors == p.Total ||
					p.Passed+p.Failed+p.Errors != p.Total || probe.PhaseOf(p.Status) != probe.PhaseFinished {
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
	withStatus := func(p probe.ProbeRun, st string) probe.ProbeRun { p.Status = st; return p }
	real := run("Real", 100, 95, 5, 0)
	tests := []struct {
		name     string
		st       *probe.TestRunStatus
		expected []int32
		reason   string
	}{
		{"negative failed cancels real findings", status("FINISHED", real, run("Neg", 10, 15, -5, 0)), nil, `"Neg" (id 0): failedCount is negative (-5)`},
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
		{"finished, nothing evaluated", status("FINISHED", run("P", 10, 0, 0, 0)), nil, "only 0 of totalCount 10"},
		{"finished, probe ran nothing", status("FINISHED", run("P", 0, 0, 0, 0)), nil, "totalCount is 0"},
		{"every attack errored", status("FINISHED", run("Down", 50, 0, 0, 50)), nil, "every test case errored"},
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

func withID(p probe.ProbeRun, id int64) probe.ProbeRun { p.ProbeID = id; return p }

// bigRuns are n probe runs each with sound counts just under MaxCount:
// their sum overflows int64.
func bigRuns(n int) []probe.ProbeRun {
	runs := make([]probe.ProbeRun, n)
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
	withID := func(p probe.ProbeRun, id int64) probe.ProbeRun { p.ProbeID = id; return p }
	known := withID(run("Known", 100, 90, 10, 0), 1) // 10%
	base := &Baseline{TestRunID: 900, FailedPercent: map[int64]float64{1: 8, 2: 5}}
	tests := []struct {
		name        string
		runs        []probe.ProbeRun
		th          Thresholds
		want        Verdict
		change      Change
		regressions int
	}{
		{"rise under the allowance", []probe.ProbeRun{known}, Thresholds{Baseline: base, MaxRegressionPercent: 2.5}, Passed, Unchanged, 0},
		{"rise at the allowance", []probe.ProbeRun{known}, Thresholds{Baseline: base, MaxRegressionPercent: 2}, Passed, Unchanged, 0},
		{"rise just over the allowance", []probe.ProbeRun{known}, Thresholds{Baseline: base, MaxRegressionPercent: 1.99}, Failed, Regressed, 1},
		{"any rise with the default 0", []probe.ProbeRun{known}, Thresholds{Baseline: base}, Failed, Regressed, 1},
		{"known findings, no rise", []probe.ProbeRun{withID(run("Known", 100, 92, 8, 0), 1)}, Thresholds{Baseline: base}, Passed, Unchanged, 0},
		{"improvement", []probe.ProbeRun{withID(run("Known", 100, 95, 5, 0), 1)}, Thresholds{Baseline: base}, Passed, Improved, 0},
		{"new probe with findings", []probe.ProbeRun{withID(run("New", 10, 9, 1, 0), 7)}, Thresholds{Baseline: base}, Failed, New, 1},
		{"new probe, clean", []probe.ProbeRun{withID(run("New", 10, 10, 0, 0), 7)}, Thresholds{Baseline: base}, Passed, New, 0},
		{"explicit threshold still applies", []probe.ProbeRun{withID(run("Known", 100, 92, 8, 0), 1)}, Thresholds{Baseline: base, MaxFailedPercent: ptr(5.0)}, Failed, Unchanged, 0},
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
