package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/probetest"
)

// writeBaseline runs the tool once with results-path, as the default
// branch's job does, and returns the file.
func writeBaseline(t *testing.T, probes ...probetest.Probe) string {
	t.Helper()
	api := newAPI(t, probetest.WithProbes(probes...), probetest.WithSteps(0))
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
		probetest.Probe{ID: 1, Name: "Jailbreak", Total: 100, Failed: 10},
		probetest.Probe{ID: 2, Name: "Leak", Total: 50, Failed: 2},
		probetest.Probe{ID: 3, Name: "Old", Total: 10})
	tests := []struct {
		name        string
		probes      []probetest.Probe
		ids         string
		env         []string
		code        cli.ExitCode
		regressions string
		improved    string
		want        []string
	}{
		{"known findings, nothing worse", []probetest.Probe{{ID: 1, Name: "Jailbreak", Total: 100, Failed: 10}, {ID: 2, Name: "Leak", Total: 50, Failed: 2}},
			"1,2", nil, cli.ExitOK, "0", "0", []string{"In the baseline but not in this run: probes 3."}},
		{"worse by more than allowed", []probetest.Probe{{ID: 1, Name: "Jailbreak", Total: 100, Failed: 13}, {ID: 2, Name: "Leak", Total: 50, Failed: 1}},
			"1,2", []string{"SPLX_MAX_REGRESSION_PERCENT", "2.99"}, cli.ExitGateFailed, "1", "1", []string{"13% failed, up from 10% in the baseline (+3 points, 2.99 allowed)", "⬆️ +3 pts", "⬇️ −2 pts"}},
		{"worse by exactly the allowance", []probetest.Probe{{ID: 1, Name: "Jailbreak", Total: 100, Failed: 13}},
			"1", []string{"SPLX_MAX_REGRESSION_PERCENT", "3"}, cli.ExitOK, "0", "0", []string{"+3 pts"}},
		{"a new probe with findings", []probetest.Probe{{ID: 1, Name: "Jailbreak", Total: 100, Failed: 10}, {ID: 4, Name: "Fresh", Total: 20, Failed: 1}},
			"1,4", nil, cli.ExitGateFailed, "1", "0", []string{"new since the baseline, with 1 failed test cases"}},
		{"explicit thresholds still apply", []probetest.Probe{{ID: 1, Name: "Jailbreak", Total: 100, Failed: 10}},
			"1", []string{"SPLX_MAX_FAILED_PERCENT", "5"}, cli.ExitGateFailed, "0", "0", []string{"10% failed, over the 5% allowed per probe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newAPI(t, probetest.WithProbes(tt.probes...), probetest.WithSteps(0))
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
		"other-target.json": `{"schemaVersion":1,"tool":{"name":"splx-probe-action"},"testRunId":5,"targetId":7,"probes":[]}`,
		"future.json":       `{"schemaVersion":2,"tool":{"name":"splx-probe-action"},"targetId":42,"probes":[]}`,
		"junit.xml":         `<?xml version="1.0"?><testsuites/>`,
		"other-tool.json":   `{"schemaVersion":1,"tool":{"name":"something else"},"probes":[]}`,
	}
	for name, text := range files {
		writeFile(t, filepath.Join(dir, name), text)
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
		api := newAPI(t, probetest.WithSteps(0))
		r := invoke(t, context.Background(), waitEnv(t, api, "SPLX_BASELINE_PATH", filepath.Join(dir, tt.file)))
		if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.want) {
			t.Errorf("%s: exit %d, want %d with %q\n%s", tt.file, r.code, tt.code, tt.want, r.stdout)
		}
		if tt.code == cli.ExitInvalidInput && api.Count(probetest.OpTrigger) != 0 {
			t.Errorf("%s: a refused baseline still triggered a run", tt.file)
		}
	}
	api := newAPI(t)
	r := invoke(t, context.Background(), with(baseEnv(api), "SPLX_BASELINE_PATH", filepath.Join(dir, "future.json")))
	if r.code != cli.ExitInvalidInput || !strings.Contains(r.stderr, "baseline-path: only applies when waiting") {
		t.Errorf("baseline without wait: exit %d\n%s", r.code, r.stderr)
	}
}
