package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// writeBaseline runs the tool once with results-path, as the default
// branch's job does, and returns the file.
func writeBaseline(t *testing.T, probes ...fakeapi.Probe) string {
	t.Helper()
	api := testenv.NewAPI(t, fakeapi.WithProbes(probes...), fakeapi.WithSteps(0))
	path := filepath.Join(t.TempDir(), "baseline.json")
	ids := make([]string, len(probes))
	for i, p := range probes {
		ids[i] = strconv.Itoa(int(p.ID))
	}
	r := invoke(t, context.Background(), waitEnv(t, api, "SPLX_PROBE_IDS", strings.Join(ids, ","), "SPLX_MAX_FAILED", "1000", "SPLX_RESULTS_PATH", path))
	if r.code != cli.ExitOK {
		t.Fatalf("baseline run: exit %d\n%s", r.code, r.stdout)
	}
	return path
}

// TestRegressionGate: with a baseline and no threshold only what got worse
// fails, at and around max-regression-percent; new probes with findings
// fail; removed probes and improvements are reported; outputs, summary and
// results file show each probe's change.
func TestRegressionGate(t *testing.T) {
	t.Parallel()
	// The default branch: Jailbreak 10% failed, Leak 4%, Old 0%.
	baseline := writeBaseline(t,
		fakeapi.Probe{ID: 1, Name: "Jailbreak", Total: 100, Failed: 10},
		fakeapi.Probe{ID: 2, Name: "Leak", Total: 50, Failed: 2},
		fakeapi.Probe{ID: 3, Name: "Old", Total: 10})
	tests := []struct {
		name        string
		probes      []fakeapi.Probe
		ids         string
		env         []string
		code        cli.ExitCode
		regressions string
		improved    string
		want        []string
	}{
		{"known findings, nothing worse", []fakeapi.Probe{{ID: 1, Name: "Jailbreak", Total: 100, Failed: 10}, {ID: 2, Name: "Leak", Total: 50, Failed: 2}},
			"1,2", nil, cli.ExitOK, "0", "0", []string{"In the baseline but not in this run: Old."}},
		{"worse by more than allowed", []fakeapi.Probe{{ID: 1, Name: "Jailbreak", Total: 100, Failed: 13}, {ID: 2, Name: "Leak", Total: 50, Failed: 1}},
			"1,2", []string{"SPLX_MAX_REGRESSION_PERCENT", "2.99"}, cli.ExitGateFailed, "1", "1", []string{"| 🔴 10% → 13% (+3 pts, 2.99 allowed) | regressed |", "🟢 4% → 2% (−2 pts)", "::error title=Probe regressed%3A Jailbreak::13%25 failed, up from 10%25 in the baseline (+3 points, 2.99 allowed)"}},
		{"worse by exactly the allowance", []fakeapi.Probe{{ID: 1, Name: "Jailbreak", Total: 100, Failed: 13}},
			"1", []string{"SPLX_MAX_REGRESSION_PERCENT", "3"}, cli.ExitOK, "0", "0", []string{"10% → 13% (+3 pts, 3 allowed)"}},
		{"a new probe with findings", []fakeapi.Probe{{ID: 1, Name: "Jailbreak", Total: 100, Failed: 10}, {ID: 4, Name: "Fresh", Total: 20, Failed: 1}},
			"1,4", nil, cli.ExitGateFailed, "1", "0", []string{"new since the baseline, with 1 failed test case;", "| 🔴 new, with findings | new, with findings |"}},
		{"explicit thresholds still apply", []fakeapi.Probe{{ID: 1, Name: "Jailbreak", Total: 100, Failed: 10}},
			"1", []string{"SPLX_MAX_FAILED_PERCENT", "5"}, cli.ExitGateFailed, "0", "0", []string{"| over 5% |", "::error title=Probe over threshold%3A Jailbreak::10%25 failed, over the 5%25 allowed per probe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, fakeapi.WithProbes(tt.probes...), fakeapi.WithSteps(0))
			results := filepath.Join(t.TempDir(), "results.json")
			env := waitEnv(t, api, append([]string{"SPLX_PROBE_IDS", tt.ids, "SPLX_BASELINE_PATH", baseline, "SPLX_RESULTS_PATH", results}, tt.env...)...)
			r := invoke(t, context.Background(), env)
			if r.code != tt.code || r.outputs["regressions"] != tt.regressions || r.outputs["improvements"] != tt.improved {
				t.Errorf("exit %d, regressions %q, improvements %q; want %d, %s, %s\n%s", r.code, r.outputs["regressions"], r.outputs["improvements"], tt.code, tt.regressions, tt.improved, r.stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout+r.summary, w) {
					t.Errorf("log and summary lack %q\n%s\n%s", w, r.stdout, r.summary)
				}
			}
			if !strings.Contains(r.summary, "| vs baseline |") {
				t.Error("the summary has no baseline column")
			}
			data, _ := os.ReadFile(results)
			var doc struct {
				Baseline *struct {
					TestRunID int32 `json:"testRunId"`
				} `json:"baseline"`
				Probes []struct {
					Change *struct {
						Status string `json:"status"`
					} `json:"change"`
				} `json:"probes"`
			}
			if err := json.Unmarshal(data, &doc); err != nil || doc.Baseline == nil || doc.Baseline.TestRunID != 1001 || doc.Probes[0].Change == nil {
				t.Errorf("results file lacks the comparison (%v):\n%s", err, data)
			}
		})
	}
}

// TestBadBaselines: a baseline of another target, of an unknown schema
// version or that is not a results file is refused before the trigger; a
// missing one is a warning and the normal gate.
func TestBadBaselines(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"other-target.json": `{"schemaVersion":1,"tool":{"name":"splx-probe-action"},"testRunId":5,"targetId":7,"status":"FINISHED","result":"passed","probes":[]}`,
		"future.json":       `{"schemaVersion":2,"tool":{"name":"splx-probe-action"},"targetId":42,"probes":[]}`,
		"junit.xml":         `<?xml version="1.0"?><testsuites/>`,
		"other-tool.json":   `{"schemaVersion":1,"tool":{"name":"something else"},"probes":[]}`,
	}
	for name, text := range files {
		testenv.WriteFile(t, filepath.Join(dir, name), text)
	}
	tests := []struct {
		file string
		code cli.ExitCode
		want string
	}{
		{"other-target.json", cli.ExitInvalidInput, "is the baseline of target 7, not of target 42"},
		{"future.json", cli.ExitInvalidInput, "has results schema version 2, which this version of the tool does not read"},
		{"junit.xml", cli.ExitInvalidInput, "is not a results file written by results-path"},
		{"other-tool.json", cli.ExitInvalidInput, "is not a results file written by results-path"},
		{"missing.json", cli.ExitGateFailed, "no baseline at"},
	}
	for _, tt := range tests {
		api := testenv.NewAPI(t, fakeapi.WithSteps(0))
		r := invoke(t, context.Background(), waitEnv(t, api, "SPLX_BASELINE_PATH", filepath.Join(dir, tt.file)))
		if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.want) {
			t.Errorf("%s: exit %d, want %d with %q\n%s", tt.file, r.code, tt.code, tt.want, r.stdout)
		}
		if tt.code == cli.ExitInvalidInput && api.Count(fakeapi.OpTrigger) != 0 {
			t.Errorf("%s: a refused baseline still triggered a run", tt.file)
		}
	}
	api := testenv.NewAPI(t)
	r := invoke(t, context.Background(), testenv.With(baseEnv(api), "SPLX_BASELINE_PATH", filepath.Join(dir, "future.json")))
	if r.code != cli.ExitInvalidInput || !strings.Contains(r.stderr, "baseline-path: only applies when waiting") {
		t.Errorf("baseline without wait: exit %d\n%s", r.code, r.stderr)
	}
}

// runResults runs the tool once against api with results-path and returns
// the file and the exit code, whatever the verdict.
func runResults(t *testing.T, api *fakeapi.Server, kv ...string) (string, cli.ExitCode) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "results.json")
	r := invoke(t, context.Background(), waitEnv(t, api, append([]string{"SPLX_RESULTS_PATH", path}, kv...)...))
	return path, r.code
}

// TestBaselineFromRunsWithoutVerdict: the results file of every kind of run
// without a verdict, as the tool itself writes it, is readable JSON whose
// shares are from 0 to 100 (or null), and is refused as a baseline with exit
// 2 before any trigger, saying why; the file of a run that passed or failed
// is accepted.
func TestBaselineFromRunsWithoutVerdict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []fakeapi.Option
		env  []string
		code cli.ExitCode
		want string
	}{
		{"ended ERROR", []fakeapi.Option{fakeapi.WithFinalStatus("ERROR")}, nil, cli.ExitNoVerdict, `reached no verdict (result "no-verdict")`},
		{"cancelled", []fakeapi.Option{fakeapi.WithFinalStatus("CANCELED")}, nil, cli.ExitNoVerdict, `reached no verdict (result "no-verdict")`},
		{"failed over total", []fakeapi.Option{fakeapi.WithProbes(fakeapi.Probe{ID: 1, Name: "Odd", Total: 10, Failed: 15})}, []string{"SPLX_PROBE_IDS", "1"}, cli.ExitNoVerdict, `reached no verdict (result "no-verdict")`},
		{"every case errored", []fakeapi.Option{fakeapi.WithProbes(fakeapi.Probe{ID: 1, Name: "Down", Total: 10, Errors: 10})}, []string{"SPLX_PROBE_IDS", "1"}, cli.ExitNoVerdict, `reached no verdict (result "no-verdict")`},
		{"timed out", []fakeapi.Option{fakeapi.WithSteps(1000)}, []string{"SPLX_TIMEOUT", "5s"}, cli.ExitTimeout, `reached no verdict (result "timed-out")`},
		{"passed", []fakeapi.Option{fakeapi.WithSteps(0)}, []string{"SPLX_MAX_FAILED", "1000"}, cli.ExitOK, ""},
		{"failed", []fakeapi.Option{fakeapi.WithSteps(0)}, nil, cli.ExitGateFailed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path, code := runResults(t, testenv.NewAPI(t, tt.opts...), tt.env...)
			if code != tt.code {
				t.Fatalf("the run exits %d, want %d", code, tt.code)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Probes []struct {
					FailedPercent *float64 `json:"failedPercent"`
				} `json:"probes"`
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatalf("the tool wrote a results file it cannot parse: %v\n%s", err, data)
			}
			for _, p := range doc.Probes {
				if p.FailedPercent != nil && (*p.FailedPercent < 0 || *p.FailedPercent > 100) {
					t.Errorf("failedPercent %v is no share", *p.FailedPercent)
				}
			}
			api := testenv.NewAPI(t, fakeapi.WithSteps(0))
			r := invoke(t, context.Background(), waitEnv(t, api, "SPLX_BASELINE_PATH", path))
			if tt.want == "" {
				if r.code == cli.ExitInvalidInput || !strings.Contains(r.stdout, "Comparing with the baseline") {
					t.Errorf("the file of a run with a verdict is refused as a baseline: exit %d\n%s", r.code, r.stdout)
				}
				return
			}
			if r.code != cli.ExitInvalidInput || !strings.Contains(r.stdout, tt.want) || !strings.Contains(r.stdout, "only a run that passed or failed is a baseline") {
				t.Errorf("exit %d, want 2 with %q\n%s", r.code, tt.want, r.stdout)
			}
			if api.Count(fakeapi.OpTrigger) != 0 {
				t.Error("a refused baseline still triggered a run")
			}
		})
	}
}

// TestBaselineIdenticalResults: the same counts as the baseline never
// regress, whatever rounding the share needs (1 of 3 is 33.333…%), and
// neither does the same share from other counts.
func TestBaselineIdenticalResults(t *testing.T) {
	t.Parallel()
	probes := []fakeapi.Probe{{ID: 1, Name: "Third", Total: 3, Failed: 1}, {ID: 2, Name: "Seventh", Total: 7, Failed: 1}, {ID: 3, Name: "Two sixths", Total: 3, Failed: 1}}
	baseline := writeBaseline(t, probes...)
	probes[2] = fakeapi.Probe{ID: 3, Name: "Two sixths", Total: 6, Failed: 2}
	api := testenv.NewAPI(t, fakeapi.WithProbes(probes...), fakeapi.WithSteps(0))
	r := invoke(t, context.Background(), waitEnv(t, api, "SPLX_PROBE_IDS", "1,2,3", "SPLX_BASELINE_PATH", baseline))
	if r.code != cli.ExitOK || r.outputs["regressions"] != "0" || strings.Contains(r.summary, "pts") {
		t.Errorf("identical results: exit %d, regressions %q\n%s\n%s", r.code, r.outputs["regressions"], r.stdout, r.summary)
	}
}

// TestHostileBaselines: files that say more than a run proved, or that are
// not one results file, are refused before the trigger; a probe id held
// twice is never merged: it is compared as new, with a warning.
func TestHostileBaselines(t *testing.T) {
	t.Parallel()
	good := writeBaseline(t, fakeapi.Probe{ID: 1, Name: "Jailbreak", Total: 100, Failed: 10}, fakeapi.Probe{ID: 2, Name: "Leak", Total: 50})
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(doc map[string]any)) string {
		var doc map[string]any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		f(doc)
		out, _ := json.Marshal(doc)
		return string(out)
	}
	probeOf := func(doc map[string]any, i int) map[string]any { return doc["probes"].([]any)[i].(map[string]any) }
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.json")
	if err := mkfifo(fifo); err != nil {
		t.Logf("no FIFO on this system: %v", err)
		fifo = ""
	}
	tests := []struct {
		name, text string
		path       string // instead of text
		env        []string
		code       cli.ExitCode
		want       string
	}{
		{name: "passed but not finished", text: edit(func(d map[string]any) { d["status"] = "ERROR" }), code: cli.ExitInvalidInput, want: `says result passed but status "ERROR"`},
		{name: "passed with an unjudged probe", text: edit(func(d map[string]any) { probeOf(d, 0)["verdict"] = "no-verdict" }), code: cli.ExitInvalidInput, want: `has probe "1" with verdict "no-verdict"`},
		{name: "no result", text: edit(func(d map[string]any) { delete(d, "result") }), code: cli.ExitInvalidInput, want: "reached no verdict (result empty)"},
		{name: "no targetId", text: edit(func(d map[string]any) { delete(d, "targetId") }), code: cli.ExitInvalidInput, want: "has no targetId"},
		{name: "failed over total", text: edit(func(d map[string]any) { probeOf(d, 0)["failed"] = 101 }), code: cli.ExitInvalidInput, want: `has probe "1" with failed 101 of total 100`},
		{name: "counts missing", text: edit(func(d map[string]any) { delete(probeOf(d, 1), "total") }), code: cli.ExitInvalidInput, want: "has a probe (number 2 of the list) without a key or probeId, total or failed"},
		{name: "a second document", text: string(data) + `{"schemaVersion":1}`, code: cli.ExitInvalidInput, want: "has more after its JSON document"},
		{name: "trailing garbage", text: string(data) + "garbage", code: cli.ExitInvalidInput, want: "has more after its JSON document"},
		{name: "trailing white space is fine", text: string(data) + "\n\n  ", code: cli.ExitOK, want: "Comparing with the baseline"},
		{name: "the share written is not what counts", text: edit(func(d map[string]any) { probeOf(d, 0)["failedPercent"] = 150 }), code: cli.ExitOK, want: "Comparing with the baseline"},
		{name: "a probe id twice", text: edit(func(d map[string]any) {
			d["probes"] = append(d["probes"].([]any), probeOf(d, 0))
		}), code: cli.ExitGateFailed, want: "holds probe keys 1 more than once: those probes cannot be told apart, so they are compared as new"},
		{name: "a directory", path: dir, code: cli.ExitInvalidInput, want: "is not a regular file (a directory)"},
		{name: "a FIFO", path: fifo, code: cli.ExitInvalidInput, want: "is not a regular file (a named pipe)"},
		{name: "attached without target-id", text: string(data), env: []string{"SPLX_TARGET_ID", "", "SPLX_PROBE_IDS", "", "SPLX_TEST_RUN_ID", "1001"}, code: cli.ExitInvalidInput, want: "baseline-path: needs target-id as well"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := tt.path
			if tt.text != "" {
				path = filepath.Join(dir, strconv.Itoa(i)+".json")
				testenv.WriteFile(t, path, tt.text)
			}
			if path == "" {
				t.Skip("not on this system")
			}
			// The run's Jailbreak has 3 findings of 125: fewer than the
			// baseline's share, so only a doubled id fails it.
			api := testenv.NewAPI(t, fakeapi.WithSteps(0))
			r := invoke(t, context.Background(), waitEnv(t, api, append([]string{"SPLX_PROBE_IDS", "1,2", "SPLX_BASELINE_PATH", path}, tt.env...)...))
			if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.want) {
				t.Errorf("exit %d, want %d with %q\n%s%s", r.code, tt.code, tt.want, r.stdout, r.stderr)
			}
			if tt.code == cli.ExitInvalidInput && len(api.Requests()) != 0 {
				t.Error("a refused baseline still sent requests")
			}
		})
	}
}
