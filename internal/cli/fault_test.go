package cli_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// TestTriggerFaults: every way the API or the network can fail a trigger,
// with its exit code, what the user reads, and exactly how many triggers
// were sent (never two where the first may have started a run).
func TestTriggerFaults(t *testing.T) {
	t.Parallel()
	const ambiguous = "a test run may have been started"
	tests := []struct {
		name     string
		faults   []fakeapi.Fault
		env      []string
		code     cli.ExitCode
		triggers int
		want     []string
		notWant  []string
	}{
		{name: "400 without details", code: cli.ExitInvalidInput, triggers: 1,
			faults: []fakeapi.Fault{{Status: 400, Body: `{"error":{"message":"Target 42 has no probe 9.","code":"INVALID_PROBE"}}`}},
			want:   []string{"HTTP 400 Bad Request (INVALID_PROBE): Target 42 has no probe 9", "Check target-id, probe-ids"}, notWant: []string{ambiguous}},
		{name: "400 with details", code: cli.ExitInvalidInput, triggers: 1,
			faults: []fakeapi.Fault{{Status: 400, Body: `{"error":{"message":"One or more validation errors occurred.","code":"VALIDATION_ERROR","errors":{"probeIds":["must not be empty"]}}}`}},
			want:   []string{`{"errors":{"probeIds":["must not be empty"]}}`}},
		{name: "401", code: cli.ExitAuth, triggers: 1, env: []string{"SPLX_API_KEY", "tok-EXPIRED"},
			want: []string{"HTTP 401", "missing, wrong or expired"}},
		{name: "403", code: cli.ExitAuth, triggers: 1,
			faults: []fakeapi.Fault{{Status: 403, Body: `{"error":{"message":"Forbidden","code":"FORBIDDEN"}}`}},
			want:   []string{"HTTP 403", "lacks access to this target or workspace"}},
		{name: "404 from a gateway, no workspace-id", code: cli.ExitInvalidInput, triggers: 1,
			faults: []fakeapi.Fault{{Status: 404, Body: "<html><body>Not Found</body></html>"}},
			want:   []string{"HTTP 404 Not Found: <html><body>Not Found</body></html>", "nothing was created", "set workspace-id (the number in the web UI's URL, /w/163/…)"}, notWant: []string{ambiguous}},
		{name: "429 without Retry-After", code: cli.ExitAPI, triggers: 1,
			faults: []fakeapi.Fault{{Status: 429}}, want: []string{"HTTP 429"}, notWant: []string{ambiguous}},
		{name: "429 with Retry-After, then accepted", code: cli.ExitOK, triggers: 2,
			faults: []fakeapi.Fault{{Status: 429, Header: map[string]string{"Retry-After": "2"}}},
			want:   []string{"Retrying trigger test run in 2s: attempt 1 failed (HTTP 429 with Retry-After)", "Test run 1001"}},
		{name: "503 with Retry-After as a date, then accepted", code: cli.ExitOK, triggers: 2,
			faults: []fakeapi.Fault{{Status: 503, Header: map[string]string{"Retry-After": "Fri, 27 Nov 2026 10:00:04 GMT"}}},
			want:   []string{"HTTP 503 with Retry-After"}},
		{name: "503 without Retry-After", code: cli.ExitAPI, triggers: 1,
			faults: []fakeapi.Fault{{Status: 503}}, want: []string{"HTTP 503", ambiguous}},
		{name: "500 after acting", code: cli.ExitAPI, triggers: 1,
			faults: []fakeapi.Fault{{Status: 500, Act: true, Body: `{"error":{"message":"Internal error","code":"INTERNAL"}}`}},
			want:   []string{"HTTP 500", ambiguous, "check the target's test runs"}},
		{name: "502 with an HTML page", code: cli.ExitAPI, triggers: 1,
			faults: []fakeapi.Fault{{Status: 502, Body: "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body>\n</html>"}},
			want:   []string{"HTTP 502 Bad Gateway: <html> <head><title>502 Bad Gateway</title></head> <body>nginx</body> </html>", ambiguous}},
		{name: "empty 200", code: cli.ExitAPI, triggers: 1,
			faults: []fakeapi.Fault{{Status: 200}}, want: []string{"not the documented JSON (HTTP 200: (empty body))", ambiguous}},
		{name: "truncated JSON", code: cli.ExitAPI, triggers: 1,
			faults: []fakeapi.Fault{{Status: 200, Body: `{"testRunId": 10`}}, want: []string{"not the documented JSON", ambiguous}},
		{name: "JSON of the wrong shape", code: cli.ExitAPI, triggers: 1,
			faults: []fakeapi.Fault{{Status: 200, Body: `{"id": 10}`}}, want: []string{"the answer has no testRunId", ambiguous}},
		{name: "JSON of the wrong type", code: cli.ExitAPI, triggers: 1,
			faults: []fakeapi.Fault{{Status: 200, Body: `{"testRunId": "ten"}`}}, want: []string{"not the documented JSON", ambiguous}},
		{name: "50 MiB body", code: cli.ExitAPI, triggers: 1,
			faults: []fakeapi.Fault{{Status: 200, BodySize: 50 << 20}}, want: []string{"exceeds the size limit (4 MiB)", ambiguous}},
		{name: "accepts and never answers", code: cli.ExitAPI, triggers: 1, env: []string{"SPLX_REQUEST_TIMEOUT", "1s"},
			faults: []fakeapi.Fault{{Hang: true}}, want: []string{"no answer within the request timeout", ambiguous}},
		{name: "connection reset", code: cli.ExitAPI, triggers: 1,
			faults: []fakeapi.Fault{{Reset: true}}, want: []string{ambiguous}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t)
			for _, f := range tt.faults {
				f.Op = fakeapi.OpTrigger
				api.Fail(f)
			}
			r := invoke(t, context.Background(), testenv.With(baseEnv(api), tt.env...))
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tt.code, r.stdout, r.stderr)
			}
			if got := api.Count(fakeapi.OpTrigger); got != tt.triggers {
				t.Errorf("%d triggers sent, want %d", got, tt.triggers)
			}
			if len(api.Requests()) != tt.triggers {
				t.Errorf("%d requests in all, want only the %d triggers", len(api.Requests()), tt.triggers)
			}
			check(t, r.stdout+r.stderr, tt.want, tt.notWant)
		})
	}
}

// TestTriggerNotConnected: a trigger that never reached a server is retried
// with backoff, and says no run was started.
func TestTriggerNotConnected(t *testing.T) {
	t.Parallel()
	// Port 1 is privileged and unused: nothing of this test run listens there,
	// unlike a port a closed test server just freed, which another may take.
	api := testenv.NewAPI(t)
	r := invoke(t, context.Background(), testenv.With(baseEnv(api), "SPLX_API_URL", "http://127.0.0.1:1"))
	if r.code != cli.ExitAPI {
		t.Errorf("exit %d, want %d", r.code, cli.ExitAPI)
	}
	if len(r.sleeps) != 4 {
		t.Errorf("%d retries, want 4 (5 attempts)", len(r.sleeps))
	}
	if !strings.Contains(r.stderr, "connection refused") || strings.Contains(r.stderr, "may have been started") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
}

// TestRedirectKeepsToken: a redirect to another port is refused, so the
// token never reaches it.
func TestRedirectKeepsToken(t *testing.T) {
	t.Parallel()
	var leaked atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer other.Close()
	api := testenv.NewAPI(t)
	api.Fail(fakeapi.Fault{Op: fakeapi.OpTrigger, Status: http.StatusTemporaryRedirect, Header: map[string]string{"Location": other.URL + "/api/v2/test-run/trigger"}})
	r := invoke(t, context.Background(), baseEnv(api))
	if r.code != cli.ExitAPI {
		t.Errorf("exit %d, want %d", r.code, cli.ExitAPI)
	}
	if n := leaked.Load(); n != 0 {
		t.Errorf("the other host received %d requests", n)
	}
	if !strings.Contains(r.stderr, "refused a redirect to another host") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
}

// TestPollFaults: failures while waiting are retried where safe and end
// with a clear exit code otherwise; a run is never triggered twice.
func TestPollFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		faults []fakeapi.Fault
		code   cli.ExitCode
		polls  int
		want   string
	}{
		{"500 twice, then fine", []fakeapi.Fault{{Status: 500, Times: 2}}, cli.ExitOK, 4, "attempt 2 failed (HTTP 500)"},
		{"502 HTML until retries run out", []fakeapi.Fault{{Status: 502, Times: 5, Body: "<html>bad gateway</html>"}}, cli.ExitAPI, 5, "HTTP 502 Bad Gateway: <html>bad gateway</html>"},
		// Go's transport itself resends an idempotent GET once on a reset
		// connection; either way the wait goes on.
		{"reset, then fine", []fakeapi.Fault{{Reset: true}}, cli.ExitOK, 3, "FINISHED"},
		{"status without a status: still running", []fakeapi.Fault{{Status: 200, Body: `{"testRunId":1001}`}}, cli.ExitOK, 3, "FINISHED"},
		{"huge status document", []fakeapi.Fault{{Status: 200, BodySize: 50 << 20}}, cli.ExitAPI, 1, "SPLX Probe answer too large: read test run status: the answer exceeds the size limit (4 MiB)"},
		// The tool's own run: 400s are read-after-write lag for 60 s (polls
		// at 0, 1, 3, 7, 15, 30, 45 and 60 s), then final.
		{"400 for the run", []fakeapi.Fault{{Status: 400, Times: 100, Body: `{"error":{"message":"Test run 1001 was not found.","code":"NOT_FOUND"}}`}}, cli.ExitInvalidInput, 8, "Test run 1001 was not found"},
		{"403 mid-wait", []fakeapi.Fault{{Status: 403}}, cli.ExitAuth, 1, "HTTP 403"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, fakeapi.WithSteps(0))
			for _, f := range tt.faults {
				f.Op = fakeapi.OpStatus
				api.Fail(f)
			}
			env := testenv.With(baseEnv(api), "SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_PROBE_IDS", "3")
			r := invoke(t, context.Background(), env)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tt.code, r.stdout, r.stderr)
			}
			if got := api.Count(fakeapi.OpStatus); got != tt.polls {
				t.Errorf("%d status requests, want %d", got, tt.polls)
			}
			if api.Count(fakeapi.OpTrigger) != 1 {
				t.Errorf("%d triggers", api.Count(fakeapi.OpTrigger))
			}
			if !strings.Contains(r.stdout+r.stderr, tt.want) {
				t.Errorf("output lacks %q:\n%s%s", tt.want, r.stdout, r.stderr)
			}
		})
	}
}
