package cli_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// waitEnv is a GitHub job that waits for the run and writes every report.
func waitEnv(t *testing.T, api *fakeapi.Server, kv ...string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	env := testenv.With(baseEnv(api), "SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_WORKSPACE_ID", "163")
	for k, v := range githubEnv(t, dir) {
		env[k] = v
	}
	return testenv.With(env, kv...)
}

// TestWaitAndReport follows a run through PENDING, RUNNING and FINISHED and
// checks every place the result goes.
func TestWaitAndReport(t *testing.T) {
	t.Parallel()
	api := testenv.NewAPI(t, fakeapi.WithSteps(2))
	env := waitEnv(t, api, "SPLX_PROBE_IDS", "1,2,3,4", "SPLX_MAX_FAILED_PERCENT", "5")
	dir := filepath.Dir(env["GITHUB_OUTPUT"])
	env = testenv.With(env,
		"SPLX_JUNIT_PATH", filepath.Join(dir, "reports", "splx.xml"),
		"SPLX_RESULTS_PATH", filepath.Join(dir, "splx.json"),
		"SPLX_REPORT_PATH", filepath.Join(dir, "splx.pdf"))
	r := invoke(t, context.Background(), env)
	if r.code != cli.ExitGateFailed {
		t.Fatalf("exit %d, want %d\n%s%s", r.code, cli.ExitGateFailed, r.stdout, r.stderr)
	}
	if got := api.Count(fakeapi.OpStatus); got != 4 {
		t.Errorf("%d status polls, want 4 (pending, 2 running, finished)", got)
	}
	if api.Count(fakeapi.OpTrigger) != 1 || api.Count(fakeapi.OpCancel) != 0 {
		t.Errorf("requests: %+v", api.Requests())
	}
	want := map[string]string{
		"test-run-id": "1001", "test-run-url": "https://probe.splx.ai/w/163/target/42/test-runs/1001",
		"status": "FINISHED", "result": "failed",
		"total": "365", "passed": "349", "failed": "15", "errors": "1",
		"junit-path": env["SPLX_JUNIT_PATH"], "results-path": env["SPLX_RESULTS_PATH"], "report-path": env["SPLX_REPORT_PATH"],
	}
	if diff := cmp.Diff(want, r.outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	checkGolden(t, "github/wait-failed.stdout", r.stdout)
	checkGolden(t, "github/wait-failed.summary.md", r.summary)
	results, err := os.ReadFile(env["SPLX_RESULTS_PATH"])
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "github/wait-failed.results.json", string(results))
	pdf, err := os.ReadFile(env["SPLX_REPORT_PATH"])
	if err != nil || !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Errorf("report: %q, %v", pdf, err)
	}

	// JUnit, read back the way a CI test-report parser reads it.
	data, err := os.ReadFile(env["SPLX_JUNIT_PATH"])
	if err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &suites); err != nil {
		t.Fatalf("JUnit is not valid XML: %v", err)
	}
	// One probe over the gate is one failure: the gate case does not
	// count it again.
	if suites.Tests != 5 || suites.Failures != 1 || len(suites.Suites) != 1 || len(suites.Suites[0].Cases) != 5 {
		t.Fatalf("JUnit counts: %+v", suites)
	}
	var failed []string
	for _, c := range suites.Suites[0].Cases {
		if c.Failure != nil {
			failed = append(failed, c.Name+": "+c.Failure.Message)
		}
	}
	if diff := cmp.Diff([]string{
		"Toxicity: 20% failed, over the 5% allowed per probe: 12 failed (20%), 48 passed, 0 errors of 60 test cases",
	}, failed); diff != "" {
		t.Errorf("JUnit failures (-want +got):\n%s", diff)
	}
}

// TestGate runs the gate end to end at and around each threshold.
func TestGate(t *testing.T) {
	t.Parallel()
	probes := fakeapi.WithProbes(
		fakeapi.Probe{ID: 1, Name: "Jailbreak", Total: 100, Failed: 5},
		fakeapi.Probe{ID: 2, Name: "Leak", Total: 50, Failed: 1},
		fakeapi.Probe{ID: 3, Name: "Clean", Total: 10},
	)
	tests := []struct {
		name   string
		probes string
		env    []string
		code   cli.ExitCode
		result string
	}{
		{"no threshold, findings", "1,2", nil, cli.ExitGateFailed, "failed"},
		{"no threshold, clean", "3", nil, cli.ExitOK, "passed"},
		{"max-failed at total", "1,2", []string{"SPLX_MAX_FAILED", "6"}, cli.ExitOK, "passed"},
		{"max-failed one under total", "1,2", []string{"SPLX_MAX_FAILED", "5"}, cli.ExitGateFailed, "failed"},
		{"max-failed 0, clean", "3", []string{"SPLX_MAX_FAILED", "0"}, cli.ExitOK, "passed"},
		{"percent at worst probe", "1,2", []string{"SPLX_MAX_FAILED_PERCENT", "5"}, cli.ExitOK, "passed"},
		{"percent just under worst probe", "1,2", []string{"SPLX_MAX_FAILED_PERCENT", "4.99"}, cli.ExitGateFailed, "failed"},
		{"percent with %", "1,2", []string{"SPLX_MAX_FAILED_PERCENT", "5%"}, cli.ExitOK, "passed"},
		{"both, count breaks", "1,2", []string{"SPLX_MAX_FAILED", "5", "SPLX_MAX_FAILED_PERCENT", "50"}, cli.ExitGateFailed, "failed"},
		{"both, percent breaks", "1,2", []string{"SPLX_MAX_FAILED", "100", "SPLX_MAX_FAILED_PERCENT", "2"}, cli.ExitGateFailed, "failed"},
		{"both hold", "1,2", []string{"SPLX_MAX_FAILED", "6", "SPLX_MAX_FAILED_PERCENT", "5"}, cli.ExitOK, "passed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, probes, fakeapi.WithSteps(0))
			r := invoke(t, context.Background(), waitEnv(t, api, append([]string{"SPLX_PROBE_IDS", tt.probes}, tt.env...)...))
			if r.code != tt.code || r.outputs["result"] != tt.result {
				t.Errorf("exit %d result %q, want %d %q\n%s", r.code, r.outputs["result"], tt.code, tt.result, r.stdout)
			}
		})
	}
}

// TestRunWithoutVerdict: a run that ends in ERROR or cancelled exits 4 in
// any spelling; an unknown status is shown as it came and waited on.
func TestRunWithoutVerdict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		final string
		code  cli.ExitCode
	}{
		{"ERROR", cli.ExitNoVerdict},
		{"CANCELED", cli.ExitNoVerdict},
		{"CANCELLED", cli.ExitNoVerdict},
		{"Cancelled", cli.ExitNoVerdict},
		{"error", cli.ExitNoVerdict},
		{"QUEUED_FOR_GPU", cli.ExitTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.final, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, fakeapi.WithSteps(0), fakeapi.WithFinalStatus(tt.final))
			dir := t.TempDir()
			r := invoke(t, context.Background(), waitEnv(t, api, "SPLX_TIMEOUT", "3s", "SPLX_JUNIT_PATH", filepath.Join(dir, "j.xml")))
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s", r.code, tt.code, r.stdout)
			}
			if r.outputs["status"] != tt.final {
				t.Errorf("status output %q, want %q as the API sent it", r.outputs["status"], tt.final)
			}
			wantResult := map[cli.ExitCode]string{cli.ExitNoVerdict: "no-verdict", cli.ExitTimeout: "timed-out"}[tt.code]
			if r.outputs["result"] != wantResult {
				t.Errorf("result %q, want %q", r.outputs["result"], wantResult)
			}
			if !strings.Contains(r.stdout, tt.final) {
				t.Errorf("log does not show the status %q", tt.final)
			}
			if _, err := os.Stat(filepath.Join(dir, "j.xml")); err != nil {
				t.Errorf("JUnit not written: %v", err)
			}
		})
	}
}

// TestTimeout: the wait ends at its timeout with exit 5, and cancels the
// run only when asked.
func TestTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		cancel      bool
		cancelFails bool
		cancels     int
		want        string
	}{
		{"keep run", false, false, 0, "attach later with test-run-id: 1001"},
		{"cancel run", true, false, 1, "the run was cancelled"},
		{"cancel fails", true, true, 5, "cancelling the run failed, so it may still be spending credits: cancel test run 1001 (https://probe.splx.ai/w/163/target/42/test-runs/1001)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, fakeapi.WithSteps(1000))
			if tt.cancelFails {
				api.Fail(fakeapi.Fault{Op: fakeapi.OpCancel, Status: 500, Times: 5})
			}
			env := waitEnv(t, api, "SPLX_TIMEOUT", "2s", "SPLX_CANCEL_ON_TIMEOUT", strconv.FormatBool(tt.cancel))
			r := invoke(t, context.Background(), env)
			if r.code != cli.ExitTimeout {
				t.Errorf("exit %d, want %d", r.code, cli.ExitTimeout)
			}
			testenv.AssertCancel(t, api, tt.cancels)
			if r.outputs["result"] != "timed-out" {
				t.Errorf("result %q", r.outputs["result"])
			}
			var verdict string
			for _, l := range strings.Split(r.stdout, "\n") {
				if strings.HasPrefix(l, "::error title=SPLX Probe wait timed out::") {
					verdict = l
				}
			}
			if !strings.Contains(verdict, tt.want) || (tt.cancelFails && strings.Contains(verdict, "was cancelled")) {
				t.Errorf("timeout annotation %q, want %q", verdict, tt.want)
			}
		})
	}
}

// TestAttach: with test-run-id the tool waits for an existing run and
// never triggers.
func TestAttach(t *testing.T) {
	t.Parallel()
	api := testenv.NewAPI(t, fakeapi.WithSteps(0))
	id := api.AddRun(42, 3)
	env := waitEnv(t, api, "SPLX_TEST_RUN_ID", "1001", "SPLX_WAIT", "", "SPLX_TARGET_ID", "", "SPLX_PROBE_IDS", "")
	r := invoke(t, context.Background(), env)
	if id != 1001 || r.code != cli.ExitOK {
		t.Fatalf("run %d exit %d\n%s%s", id, r.code, r.stdout, r.stderr)
	}
	if api.Count(fakeapi.OpTrigger) != 0 {
		t.Error("attach mode triggered a run")
	}
	if r.outputs["result"] != "passed" || r.outputs["test-run-id"] != "1001" {
		t.Errorf("outputs %v", r.outputs)
	}
}

// TestPollRetries: 429 and 503 during the wait are retried after the
// server's Retry-After; a 401 during the wait ends it with exit 3.
func TestPollRetries(t *testing.T) {
	t.Parallel()
	api := testenv.NewAPI(t, fakeapi.WithSteps(0))
	api.Fail(fakeapi.Fault{Op: fakeapi.OpStatus, Status: 429, Header: map[string]string{"Retry-After": "7"}})
	api.Fail(fakeapi.Fault{Op: fakeapi.OpStatus, Status: 503, Header: map[string]string{"Retry-After": "3"}})
	r := invoke(t, context.Background(), waitEnv(t, api, "SPLX_PROBE_IDS", "3"))
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Second, 3 * time.Second}, r.sleeps); diff != "" {
		t.Errorf("retry waits (-want +got):\n%s", diff)
	}
	for _, want := range []string{"Retrying read test run status in 7s: attempt 1 failed (HTTP 429)", "in 3s: attempt 2 failed (HTTP 503)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("log lacks %q", want)
		}
	}

	api2 := testenv.NewAPI(t, fakeapi.WithSteps(3))
	api2.Fail(fakeapi.Fault{Op: fakeapi.OpStatus, Status: 401, Body: `{"error":{"message":"Token expired","code":"UNAUTHORIZED"}}`})
	r = invoke(t, context.Background(), waitEnv(t, api2))
	if r.code != cli.ExitAuth || api2.Count(fakeapi.OpStatus) != 1 {
		t.Errorf("401 during wait: exit %d after %d polls, want %d after 1", r.code, api2.Count(fakeapi.OpStatus), cli.ExitAuth)
	}
}

// TestReportDownloadFailure: a PDF that cannot be fetched is a warning and
// does not change the verdict.
func TestReportDownloadFailure(t *testing.T) {
	t.Parallel()
	api := testenv.NewAPI(t, fakeapi.WithSteps(0))
	api.Fail(fakeapi.Fault{Op: fakeapi.OpReport, Status: 400, Times: 5, Body: `{"error":{"message":"not ready","code":"X"}}`})
	env := waitEnv(t, api, "SPLX_PROBE_IDS", "3", "SPLX_REPORT_PATH", filepath.Join(t.TempDir(), "r.pdf"))
	r := invoke(t, context.Background(), env)
	if r.code != cli.ExitOK {
		t.Errorf("exit %d, want 0", r.code)
	}
	if !strings.Contains(r.stdout, "::warning title=PDF report::") {
		t.Errorf("no warning:\n%s", r.stdout)
	}
	if _, ok := r.outputs["report-path"]; ok {
		t.Error("report-path output set for a report that was not written")
	}
}

// TestResultsJSONShape: the documented fields of the results file.
func TestResultsJSONShape(t *testing.T) {
	t.Parallel()
	api := testenv.NewAPI(t, fakeapi.WithSteps(0))
	path := filepath.Join(t.TempDir(), "r.json")
	r := invoke(t, context.Background(), waitEnv(t, api, "SPLX_RESULTS_PATH", path, "SPLX_MAX_FAILED", "10"))
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	data, _ := os.ReadFile(path)
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schemaVersion", "tool", "testRunId", "targetId", "url", "status", "result", "reason", "thresholds", "totals", "probes"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("results file lacks %q", k)
		}
	}
}
