package gate

import (
	"encoding/json"
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
		{"error run", status("ERROR", a), Thresholds{MaxFailed: ptr[int64](100)}, NoVerdict, []Verdict{Findings}},
		{"cancelled run", status("cancelled", clean), Thresholds{}, NoVerdict, []Verdict{Passed}},
		{"empty total", status("FINISHED", run("Z", 0, 0, 0, 0)), Thresholds{MaxFailedPercent: ptr(0.0)}, Passed, []Verdict{Passed}},
	}
	for _, tt := range tests {
		r := Evaluate(tt.st, tt.th, "")
		if r.Verdict != tt.want {
			t.Errorf("%s: verdict %s (%s), want %s", tt.name, r.Verdict, r.Reason, tt.want)
		}
		for i, v := range tt.probes {
			if r.Probes[i].Verdict != v {
				t.Errorf("%s: probe %s verdict %s, want %s", tt.name, r.Probes[i].Name, r.Probes[i].Verdict, v)
			}
		}
	}
	r := Evaluate(status("FINISHED", a, b), Thresholds{}, "")
	if r.Total != 250 || r.Passed != 238 || r.Failed != 11 || r.Errors != 1 {
		t.Errorf("totals %+v", r)
	}
}

func TestFormatPercent(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{0: "0", 2.4: "2.4", 100: "100", 4.105: "4.11", 33.333333: "33.33"} {
		if got := FormatPercent(in); got != want {
			t.Errorf("FormatPercent(%v) = %q, want %q", in, got, want)
		}
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
		r := Evaluate(&st, th, "")
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
		if r.Reason == "" && r.Verdict != Passed {
			t.Fatalf("verdict %s without a reason", r.Verdict)
		}
	})
}
