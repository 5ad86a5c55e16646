package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// The tests in this file meet the answers the public docs leave open (see
// ../shared/probe-api.md, "Open questions"): each side of each question,
// through the real entry point, against the fake API.

// TestTriggerPathFallback: the documented path first; only its 404 or 405
// moves on, once and only with workspace-id, to the workspace-scoped path.
// Never more than one request that could have created a run.
func TestTriggerPathFallback(t *testing.T) {
	t.Parallel()
	const ambiguous = "a test run may have been started"
	tests := []struct {
		name                  string
		opts                  []fakeapi.Option
		fault                 *fakeapi.Fault
		env                   []string
		code                  cli.ExitCode
		documented, workspace int
		runs                  int
		want, notWant         []string
	}{
		{name: "documented path answers", env: []string{"SPLX_WORKSPACE_ID", "163"}, code: cli.ExitOK, documented: 1, runs: 1,
			want: []string{"debug: trigger answered by POST /api/v2/test-run/trigger"}, notWant: []string{"workspace-scoped"}},
		{name: "only the workspace path exists", opts: []fakeapi.Option{fakeapi.WithoutDocumentedTrigger(), fakeapi.WithWorkspace("163")},
			env: []string{"SPLX_WORKSPACE_ID", "163", "SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_PROBE_IDS", "3"}, code: cli.ExitOK, documented: 1, workspace: 1, runs: 1,
			want: []string{"The documented trigger path POST /api/v2/test-run/trigger answered 404 or 405 (nothing created); the workspace-scoped POST /api/workspaces/163/test-run/trigger answered.",
				"debug: trigger answered by POST /api/workspaces/163/test-run/trigger", "gate passed"}},
		{name: "405 moves on too", opts: []fakeapi.Option{fakeapi.WithWorkspace("163")}, fault: &fakeapi.Fault{Op: fakeapi.OpTrigger, Status: 405},
			env: []string{"SPLX_WORKSPACE_ID", "163"}, code: cli.ExitOK, documented: 1, workspace: 1, runs: 1, want: []string{"workspace-scoped POST /api/workspaces/163/test-run/trigger answered"}},
		{name: "404 without workspace-id names the fix", opts: []fakeapi.Option{fakeapi.WithoutDocumentedTrigger(), fakeapi.WithWorkspace("163")},
			code: cli.ExitInvalidInput, documented: 1,
			want: []string{"trigger test run: HTTP 404 Not Found", "nothing was created", "set workspace-id (the number in the web UI's URL, /w/163/…)"}, notWant: []string{ambiguous}},
		{name: "both paths 404", opts: []fakeapi.Option{fakeapi.WithoutDocumentedTrigger()}, env: []string{"SPLX_WORKSPACE_ID", "163"},
			code: cli.ExitAPI, documented: 1, workspace: 1, want: []string{"check api-url and workspace-id"}, notWant: []string{ambiguous}},
		{name: "another workspace's id: 403 is final", opts: []fakeapi.Option{fakeapi.WithoutDocumentedTrigger(), fakeapi.WithWorkspace("7")},
			env: []string{"SPLX_WORKSPACE_ID", "163"}, code: cli.ExitAuth, documented: 1, workspace: 1, want: []string{"HTTP 403"}},
		{name: "500 after acting is final", opts: []fakeapi.Option{fakeapi.WithWorkspace("163")}, fault: &fakeapi.Fault{Op: fakeapi.OpTrigger, Status: 500, Act: true},
			env: []string{"SPLX_WORKSPACE_ID", "163"}, code: cli.ExitAPI, documented: 1, runs: 1, want: []string{ambiguous}},
		{name: "400 is final", opts: []fakeapi.Option{fakeapi.WithWorkspace("163")}, fault: &fakeapi.Fault{Op: fakeapi.OpTrigger, Status: 400, Body: `{"error":{"message":"no","code":"BAD"}}`},
			env: []string{"SPLX_WORKSPACE_ID", "163"}, code: cli.ExitInvalidInput, documented: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, tt.opts...)
			if tt.fault != nil {
				api.Fail(*tt.fault)
			}
			r := invoke(t, context.Background(), testenv.With(baseEnv(api), append([]string{"SPLX_DEBUG", "true"}, tt.env...)...))
			log := r.stdout + r.stderr
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s", r.code, tt.code, log)
			}
			if n := api.Count(fakeapi.OpTrigger); n != tt.documented {
				t.Errorf("%d requests to the documented path, want %d", n, tt.documented)
			}
			if n := api.Count(fakeapi.OpWorkspaceTrigger); n != tt.workspace {
				t.Errorf("%d requests to the workspace path, want %d", n, tt.workspace)
			}
			if api.Runs() != tt.runs {
				t.Errorf("%d runs created, want %d", api.Runs(), tt.runs)
			}
			check(t, log, tt.want, tt.notWant)
			assertRequestsClean(t, api)
		})
	}
}

// TestStatusWords: a status that is null, empty or unknown is still
// running, bounded by the timeout, never an API failure.
func TestStatusWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		word  any
		steps int
		code  cli.ExitCode
		want  string
	}{
		{"null", nil, 2, cli.ExitOK, "gate passed"},
		{"empty", "", 2, cli.ExitOK, "gate passed"},
		{"unknown word", "QUEUED", 2, cli.ExitOK, "gate passed"},
		{"null until the timeout", nil, 1000, cli.ExitTimeout, "did not end within the 30s timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, fakeapi.WithRunningStatus(tt.word), fakeapi.WithSteps(tt.steps))
			r := invoke(t, context.Background(), testenv.With(baseEnv(api), "SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_TIMEOUT", "30s", "SPLX_PROBE_IDS", "3"))
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tt.code, r.stdout, r.stderr)
			}
			check(t, r.stdout+r.stderr, []string{tt.want}, []string{"no status"})
		})
	}
}

// resultsProbe is a probe of the results file, as a consumer reads it.
type resultsProbe struct {
	Name    string `json:"name"`
	Key     string `json:"key"`
	ProbeID int64  `json:"probeId"`
	Change  *struct {
		Status string `json:"status"`
	} `json:"change"`
}

func readResults(t *testing.T, path string) []resultsProbe {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Probes []resultsProbe `json:"probes"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Probes
}

// sarifRules returns the rule ids and the fingerprints of a SARIF file.
func sarifRules(t *testing.T, path string) (rules, fingerprints []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc testenv.SARIF
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range doc.Runs[0].Tool.Driver.Rules {
		rules = append(rules, r.ID)
	}
	for _, r := range doc.Runs[0].Results {
		// The project's own fingerprint; primaryLocationLineHash derives from it.
		fingerprints = append(fingerprints, r.PartialFingerprints["splxProbeTargetProbe/v1"])
	}
	return rules, fingerprints
}

func distinct(s []string) bool {
	seen := map[string]bool{}
	for _, v := range s {
		if seen[v] {
			return false
		}
		seen[v] = true
	}
	return true
}

// TestProbeIDMapping: probe runs whose probeIds are in another id space,
// null or repeated are judged by count with one warning naming both lists,
// and never collide in the results file, SARIF or a baseline; a dropped
// probe is no verdict whatever the ids.
func TestProbeIDMapping(t *testing.T) {
	t.Parallel()
	probes := func(edit func(i int, p *fakeapi.Probe)) fakeapi.Option {
		ps := []fakeapi.Probe{
			{ID: 1, Name: "Jailbreak", Total: 100, Failed: 2},
			{ID: 2, Name: "Context Leakage", Total: 80},
			{ID: 3, Name: "Custom: our policy", Total: 50, Failed: 1},
		}
		for i := range ps {
			edit(i, &ps[i])
		}
		return fakeapi.WithProbes(ps...)
	}
	tests := []struct {
		name    string
		probes  fakeapi.Option
		code    cli.ExitCode
		keys    []string
		want    []string
		notWant []string
	}{
		{"ids match", probes(func(int, *fakeapi.Probe) {}), cli.ExitGateFailed, []string{"1", "2", "3"}, nil, []string{"warning: Probe ids"}},
		{"another id space", probes(func(i int, p *fakeapi.Probe) { p.RunProbeID = int64(9001 + i) }), cli.ExitGateFailed, []string{"9001", "9002", "9003"},
			[]string{"warning: Probe ids: none of the triggered probe ids (1, 2, 3) is a probeId of the run's probe runs (9001, 9002, 9003): the 3 probe runs were judged"}, nil},
		{"null ids", probes(func(_ int, p *fakeapi.Probe) { p.NullID = true }), cli.ExitGateFailed, []string{"name-", "name-", "name-"},
			[]string{"(null, null, null)"}, nil},
		{"repeated ids", probes(func(_ int, p *fakeapi.Probe) { p.RunProbeID = 15 }), cli.ExitGateFailed, []string{"name-", "name-", "name-"},
			[]string{"(15, 15, 15)"}, nil},
		{"a probe dropped, ids match", probes(func(i int, p *fakeapi.Probe) { p.Dropped = i == 1 }), cli.ExitNoVerdict, nil,
			[]string{"probe 2 was triggered but the run has no probe run for it"}, nil},
		{"a probe dropped, another id space", probes(func(i int, p *fakeapi.Probe) { p.RunProbeID = int64(9001 + i); p.Dropped = i == 1 }), cli.ExitNoVerdict, nil,
			[]string{"3 probes were triggered (1, 2, 3) but the run has only 2 probe runs (probe ids 9001, 9003)"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, tt.probes, fakeapi.WithSteps(1))
			dir := t.TempDir()
			results, sarif := filepath.Join(dir, "r.json"), filepath.Join(dir, "s.sarif")
			env := testenv.With(baseEnv(api), "SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_RESULTS_PATH", results,
				"SPLX_SARIF_PATH", sarif, "SPLX_SARIF_LOCATION", ".github/workflows/red-team.yml")
			r := invoke(t, context.Background(), env)
			log := r.stdout + r.stderr
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, tt.code, log)
			}
			check(t, log, tt.want, tt.notWant)
			if tt.keys == nil {
				return
			}
			var keys []string
			for i, p := range readResults(t, results) {
				keys = append(keys, p.Key)
				if !strings.HasPrefix(p.Key, tt.keys[i]) {
					t.Errorf("probe %q has key %q, want %s…", p.Name, p.Key, tt.keys[i])
				}
			}
			rules, fps := sarifRules(t, sarif)
			if !distinct(keys) || !distinct(rules) || !distinct(fps) || len(rules) != 3 || len(fps) != 2 {
				t.Errorf("collisions: keys %q, SARIF rules %q, fingerprints %q", keys, rules, fps)
			}
			// The next run of the same probes, with this one as its
			// baseline: every probe matches its own earlier self.
			api2 := testenv.NewAPI(t, tt.probes, fakeapi.WithSteps(1))
			env2 := testenv.With(baseEnv(api2), "SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_BASELINE_PATH", results,
				"SPLX_RESULTS_PATH", filepath.Join(dir, "r2.json"), "SPLX_SARIF_PATH", filepath.Join(dir, "s2.sarif"), "SPLX_SARIF_LOCATION", ".github/workflows/red-team.yml")
			r2 := invoke(t, context.Background(), env2)
			if r2.code != cli.ExitOK {
				t.Errorf("against its own baseline: exit %d\n%s%s", r2.code, r2.stdout, r2.stderr)
			}
			for _, p := range readResults(t, filepath.Join(dir, "r2.json")) {
				if p.Change == nil || p.Change.Status != "unchanged" {
					t.Errorf("probe %q (key %s) against the baseline: %+v, want unchanged", p.Name, p.Key, p.Change)
				}
			}
			if _, fps2 := sarifRules(t, filepath.Join(dir, "s2.sarif")); strings.Join(fps2, " ") != strings.Join(fps, " ") {
				t.Errorf("fingerprints changed between runs of the same probes: %q then %q", fps, fps2)
			}
		})
	}
}

// TestReadAfterTrigger: a 400 or 404 on a status poll right after this
// tool's trigger is retried for a while, never past the timeout; for a run
// given by test-run-id it is final.
func TestReadAfterTrigger(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		attach bool
		lag    int
		env    []string
		code   cli.ExitCode
		polls  int
		want   []string
	}{
		{name: "two 404s, then the run", lag: 2, code: cli.ExitOK, polls: 5, want: []string{
			"Retrying read test run status in 1s: test run 1001 was just triggered and the API may not know it yet (read test run status: HTTP 404 Not Found (NOT_FOUND): Test run 1001 was not found.)",
			"Retrying read test run status in 2s", "gate passed"}},
		{name: "never past the timeout", lag: 100, env: []string{"SPLX_TIMEOUT", "5s"}, code: cli.ExitTimeout, polls: 3, want: []string{"did not end within the 5s timeout (last status none read)"}},
		{name: "404s past the grace are final", lag: 100, code: cli.ExitAPI, polls: 8, want: []string{"HTTP 404", "attach to it later with test-run-id: 1001"}},
		{name: "a given test-run-id: final at once", attach: true, lag: 2, code: cli.ExitAPI, polls: 1, want: []string{"HTTP 404"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, fakeapi.WithReadLag(tt.lag), fakeapi.WithSteps(1))
			env := testenv.With(baseEnv(api), append([]string{"SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_PROBE_IDS", "3"}, tt.env...)...)
			if tt.attach {
				env = testenv.With(env, "SPLX_TEST_RUN_ID", itoa(api.AddRun(42, 3)))
			}
			r := invoke(t, context.Background(), env)
			log := r.stdout + r.stderr
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s", r.code, tt.code, log)
			}
			if n := api.Count(fakeapi.OpStatus); n != tt.polls {
				t.Errorf("%d status polls, want %d", n, tt.polls)
			}
			if tt.attach && strings.Contains(log, "Retrying") {
				t.Errorf("retried a given test-run-id's 404:\n%s", log)
			}
			if n := api.Count(fakeapi.OpTrigger); n > 1 {
				t.Errorf("%d triggers", n)
			}
			check(t, log, tt.want, nil)
		})
	}
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }

// TestWaitEndsOnAPIFailure: a wait on the tool's own run that ends on an
// API failure says the run may still spend credits, with its link and the
// test-run-id to attach with; cancel-on-timeout applies to this ending too.
func TestWaitEndsOnAPIFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cancel  bool
		cancels int
		want    string
	}{
		{"run left going", false, 0, "the wait for test run 1001 (https://probe.splx.ai/w/163/target/42/test-runs/1001) ended on this failure, but the run may still be going on and spending credits: attach to it later with test-run-id: 1001, or cancel it in the SPLX Probe web UI"},
		{"cancel-on-timeout cancels it", true, 1, "ended on this failure, so the run was cancelled (cancel-on-timeout)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t)
			api.Fail(fakeapi.Fault{Op: fakeapi.OpStatus, Status: 502, Times: 5})
			env := testenv.With(baseEnv(api), "SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_WORKSPACE_ID", "163")
			if tt.cancel {
				env = testenv.With(env, "SPLX_CANCEL_ON_TIMEOUT", "true")
			}
			r := invoke(t, context.Background(), env)
			if r.code != cli.ExitAPI {
				t.Errorf("exit %d, want %d", r.code, cli.ExitAPI)
			}
			if n := api.Count(fakeapi.OpCancel); n != tt.cancels {
				t.Errorf("%d cancels, want %d", n, tt.cancels)
			}
			check(t, r.stdout+r.stderr, []string{"HTTP 502", tt.want}, nil)
		})
	}
}

// TestProcessedCount: with processedCount, a finished probe is judged when
// every test case was processed, and otherwise the reason names the count
// that fell short.
func TestProcessedCount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		processed bool
		probe     fakeapi.Probe
		code      cli.ExitCode
		want      string
	}{
		{"all processed, some unclassified", true, fakeapi.Probe{ID: 3, Name: "P", Total: 100, Unclassified: 5}, cli.ExitOK, "gate passed"},
		{"processed short of total", true, fakeapi.Probe{ID: 3, Name: "P", Total: 100, Unprocessed: 5}, cli.ExitNoVerdict, "processedCount (95) is below totalCount (100)"},
		{"no processedCount, outcomes short", false, fakeapi.Probe{ID: 3, Name: "P", Total: 100, Unprocessed: 5}, cli.ExitNoVerdict, "passedCount + failedCount + errorCount (95) are below totalCount (100)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := []fakeapi.Option{fakeapi.WithProbes(tt.probe), fakeapi.WithSteps(1)}
			if tt.processed {
				opts = append(opts, fakeapi.WithProcessedCount())
			}
			api := testenv.NewAPI(t, opts...)
			r := invoke(t, context.Background(), testenv.With(baseEnv(api), "SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_PROBE_IDS", "3"))
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tt.code, r.stdout, r.stderr)
			}
			check(t, r.stdout+r.stderr, []string{tt.want}, nil)
		})
	}
}

// TestReportNotReady: the PDF report asks for application/pdf or anything,
// and a report not ready right after FINISHED gets a few bounded retries.
func TestReportNotReady(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		lag      int
		requests int
		saved    bool
		want     string
	}{
		{"ready at once", 0, 1, true, "Saved the PDF report"},
		{"ready at the third try", 2, 3, true, "The PDF report of test run 1001 is not ready yet (download report: HTTP 400 Bad Request (TEST_RUN_NOT_COMPLETED): The test run has not completed yet.); trying again in 5s (1 of 3)"},
		{"never ready", 100, 4, false, "warning: PDF report: could not download the report of test run 1001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, fakeapi.WithReportLag(tt.lag), fakeapi.WithSteps(1))
			pdf := filepath.Join(t.TempDir(), "report.pdf")
			r := invoke(t, context.Background(), testenv.With(baseEnv(api), "SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_PROBE_IDS", "3", "SPLX_REPORT_PATH", pdf))
			if r.code != cli.ExitOK {
				t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if n := api.Count(fakeapi.OpReport); n != tt.requests {
				t.Errorf("%d report requests, want %d", n, tt.requests)
			}
			for _, req := range api.Requests() {
				if strings.HasSuffix(req.Path, "/report") && req.Header.Get("Accept") != "application/pdf, */*" {
					t.Errorf("Accept %q", req.Header.Get("Accept"))
				}
			}
			data, err := os.ReadFile(pdf)
			if tt.saved != (err == nil && strings.HasPrefix(string(data), "%PDF-")) {
				t.Errorf("report saved %v, want %v (%v)", err == nil, tt.saved, err)
			}
			check(t, r.stdout+r.stderr, []string{tt.want}, nil)
		})
	}
}

// TestDebugShape: with --debug a real run logs the shape of the first and
// the last status answer: field names and types, no values.
func TestDebugShape(t *testing.T) {
	t.Parallel()
	api := testenv.NewAPI(t, fakeapi.WithRunningStatus(nil), fakeapi.WithProcessedCount(), fakeapi.WithSteps(1),
		fakeapi.WithProbes(fakeapi.Probe{ID: 3, Name: "tok-SECRET-7f3a9c", Total: 10, NullID: true}))
	r := invoke(t, context.Background(), testenv.With(baseEnv(api), "SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_PROBE_IDS", "3", "SPLX_DEBUG", "true"))
	if r.code != cli.ExitOK {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	const runFields = "probeRuns[]:{errorCount:number failedCount:number passedCount:number probeId:null probeName:string probeRunId:number processedCount:number status:string totalCount:number}"
	check(t, r.stderr, []string{
		"debug: status answer shape (first): {executionDate:string probeRuns:array(1) status:null testRunId:number} " + runFields,
		"debug: status answer shape (last): {executionDate:string probeRuns:array(1) status:string testRunId:number} " + runFields,
	}, []string{"FINISHED}", "Jailbreak"})
}

// fakeNet resolves only the names it knows, to 127.0.0.1, and dials only
// its listener.
type fakeNet struct {
	hosts map[string]bool
	addr  string
}

func (n fakeNet) LookupHost(_ context.Context, host string) ([]string, error) {
	if n.hosts[host] {
		return []string{"127.0.0.1"}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (n fakeNet) dial(ctx context.Context, network, address string) (net.Conn, error) {
	host, _, _ := net.SplitHostPort(address)
	if !n.hosts[host] {
		return nil, errors.New("not in the fake network")
	}
	var d net.Dialer
	return d.DialContext(ctx, network, n.addr)
}

// TestDoctorUSHost: when the docs' US host does not resolve, doctor tries
// the vendor templates' spelling and prints the api-url to set.
func TestDoctorUSHost(t *testing.T) {
	t.Parallel()
	if p, _ := http.ProxyFromEnvironment(&http.Request{URL: &url.URL{Scheme: "https", Host: "us.api.probe.splx.ai"}}); p != nil {
		// With a proxy the doctor skips DNS and would ask the real host.
		t.Skip("a proxy is set in the environment")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	tests := []struct {
		name  string
		hosts map[string]bool
		want  []string
	}{
		{"the other spelling answers", map[string]bool{"api.us.probe.splx.ai": true}, []string{
			"✗ DNS: us.api.probe.splx.ai does not resolve", "✓ US host: the other spelling, api.us.probe.splx.ai, resolves and answers on port 443: set api-url: https://api.us.probe.splx.ai",
			"fix: set api-url: https://api.us.probe.splx.ai"}},
		{"neither resolves", map[string]bool{}, []string{"✗ US host: the other spelling, api.us.probe.splx.ai, does not resolve either", "fix: check region and api-url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fn := fakeNet{hosts: tt.hosts, addr: ln.Addr().String()}
			env := map[string]string{"SPLX_API_KEY": testToken, "SPLX_REGION": "us", "SPLX_TARGET_ID": "42", "SPLX_PROBE_IDS": "1"}
			r := invokeWith(t, context.Background(), env, func(c *cli.Command) { c.Resolver, c.Dial = fn, fn.dial }, "doctor")
			if r.code != cli.ExitAPI {
				t.Errorf("exit %d, want %d", r.code, cli.ExitAPI)
			}
			check(t, r.stdout+r.stderr, tt.want, []string{"✓ token"})
		})
	}
}

// TestDoctorAnswerShape: doctor with test-run-id shows what the run's answer
// looks like and whether probe-ids match it, spending nothing.
func TestDoctorAnswerShape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		probes []fakeapi.Probe
		ids    string
		want   []string
	}{
		{"documented shape, ids match", nil, "1,2", []string{
			"✓ answer shape: {executionDate:string probeRuns:array(2) status:string testRunId:number} probeRuns[]:{errorCount:number failedCount:number passedCount:number probeId:number probeName:string probeRunId:number status:string totalCount:number}",
			`✓ status word: "PENDING"`,
			`✓ probe runs: probe run 100100: probe id 1, "Jailbreak"; probe run 100101: probe id 2, "Context Leakage"`,
			"✓ count fields: totalCount, passedCount, failedCount, errorCount, processedCount absent",
			"✓ probe-ids: 1, 2 all match the probe runs' probe ids"}},
		{"foreign ids, hostile name", []fakeapi.Probe{{ID: 1, Name: "x\n::error::owned ##[warning]y", Total: 5, RunProbeID: 9001}, {ID: 2, Name: "B", Total: 5, NullID: true}}, "1,2", []string{
			`probe run 100100: probe id 9001, "x\n::error::owned # #[warning]y"; probe run 100101: probe id null, "B"`,
			"– probe-ids: 1, 2 match none of the probe runs' probe ids (9001, null): a run is judged by counting probe runs, with a warning"}},
		{"a probe dropped", []fakeapi.Probe{{ID: 1, Name: "A", Total: 5}, {ID: 2, Name: "B", Total: 5, Dropped: true}}, "1,2", []string{
			"! probe-ids: 1, 2: only 1 match the probe runs' probe ids (1); a run would have no verdict"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts []fakeapi.Option
			if tt.probes != nil {
				opts = append(opts, fakeapi.WithProbes(tt.probes...))
			}
			api := testenv.NewAPI(t, opts...)
			id := api.AddRun(42, 1, 2)
			r := invoke(t, context.Background(), testenv.With(baseEnv(api), "SPLX_TEST_RUN_ID", itoa(id), "SPLX_PROBE_IDS", tt.ids), "doctor")
			if r.code != cli.ExitOK {
				t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			check(t, r.stdout+r.stderr, tt.want, []string{"\n::error::owned"})
			for _, op := range []string{fakeapi.OpTrigger, fakeapi.OpWorkspaceTrigger, fakeapi.OpCancel} {
				if n := api.Count(op); n != 0 {
					t.Errorf("doctor sent %d %s requests", n, op)
				}
			}
		})
	}
}
