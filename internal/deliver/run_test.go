package deliver

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/probe"
	"github.com/splx-ai/splx-probe-action/internal/redact"
)

const token = "tok-SECRET-7f3a9c"

// clock stands still, and a wait on it returns at once.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }
func (c *clock) After(d time.Duration) <-chan time.Time {
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// newRun is a run of probes 1 and 4 (4 over the threshold) on the
// terminal, with settings from env, and its log.
func newRun(t *testing.T, verdict gate.Verdict, env map[string]string) (*Run, *bytes.Buffer) {
	t.Helper()
	api := fakeapi.NewServer(fakeapi.WithToken(token), fakeapi.WithSteps(0))
	t.Cleanup(api.Close)
	env = with(env, "SPLX_API_KEY", token, "SPLX_API_URL", api.URL, "SPLX_TARGET_ID", "42", "SPLX_PROBE_IDS", "1,4", "SPLX_WAIT", "true", "SPLX_WORKSPACE_ID", "163")
	cfg, err := config.Load(context.Background(), nil, env)
	if err != nil {
		t.Fatal(err)
	}
	id := api.AddRun(42, 1, 4)
	c := probe.NewClient(cfg.APIURL, token)
	st, err := c.TestRunStatus(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for st.Status != "FINISHED" {
		if st, err = c.TestRunStatus(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	none := int64(0)
	res := gate.Evaluate(st, gate.Thresholds{MaxFailed: &none}, cfg.ProbeIDs, cfg.RunURL(id))
	res.TestRunID, res.TargetID = id, 42
	if verdict != "" {
		res.Verdict = verdict
	}
	var log bytes.Buffer
	red := redact.New(token)
	rep := ci.New(ci.Plain, ci.Options{Env: env, Stdout: &log, Stderr: &log, Redact: red})
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	return &Run{
		Settings: cfg, CI: ci.Detect(env, "plain"), Log: rep, Redact: red, Clock: &clock{now}, Version: "test",
		Client: c, ID: id, Result: res, Ended: true, Deadline: now.Add(time.Minute),
		Verdict: &ci.Note{Title: "SPLX Probe gate failed", Msg: "over the gate"},
	}, &log
}

func with(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// TestVerdict: every file asked for is written, redacted, and named in the
// outputs after the counts; the log shows the table and the annotations.
func TestVerdict(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	paths := map[string]string{}
	env := map[string]string{}
	for _, s := range config.Settings() {
		if s.Report {
			paths[s.Name] = filepath.Join(dir, "sub", s.Name)
			env[s.EnvName()] = paths[s.Name]
		}
	}
	r, log := newRun(t, "", env)
	if err := Verdict(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	out := log.String()
	for name, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil || len(data) == 0 {
			t.Errorf("%s not written: %v", name, err)
		}
		if bytes.Contains(data, []byte(token)) {
			t.Errorf("%s holds the token", name)
		}
		if !strings.Contains(out, "  "+name+": "+p+"\n") {
			t.Errorf("output %s missing:\n%s", name, out)
		}
	}
	for _, want := range []string{"Outputs:\n  test-run-id: ", "  result: failed\n", "  total: ", "warning: Findings within the gate: ", "error: SPLX Probe gate failed: over the gate"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Index(out, "  errors: ") > strings.Index(out, "  junit-path: ") {
		t.Error("the file outputs come before the counts")
	}
}

// TestVerdictFailures: a report file that cannot be written is a
// WriteError under its name; SARIF is left out of a run without a
// verdict; a PDF that cannot be had is a warning.
func TestVerdictFailures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{
		"SPLX_JUNIT_PATH": dir, "SPLX_SARIF_PATH": filepath.Join(dir, "x.sarif"),
		"SPLX_REPORT_PATH": filepath.Join(dir, "report.pdf"),
	}
	r, log := newRun(t, gate.NoVerdict, env)
	r.Client = probe.NewClient(r.Settings.APIURL, "wrong-token")
	err := Verdict(context.Background(), r)
	var we *WriteError
	if !errors.As(err, &we) || we.What != "JUnit report" || we.Path != dir || !strings.Contains(we.Error(), "directory") || errors.Unwrap(we) == nil {
		t.Fatalf("error %v, want the JUnit report's WriteError", err)
	}
	out := log.String()
	for _, want := range []string{"No SARIF file: the run reached no verdict", "warning: PDF report: could not download the report", "  result: no-verdict\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.sarif")); err == nil {
		t.Error("a SARIF file was written for a run without a verdict")
	}
	if FileName("junit-path") != "JUnit report" || FileName("target-id") != "" {
		t.Error("FileName does not follow the destinations")
	}
}

// TestCancelledWhileDelivering: result says interrupted, and the PDF gives
// up with its own warning.
func TestCancelledWhileDelivering(t *testing.T) {
	t.Parallel()
	r, log := newRun(t, "", map[string]string{"SPLX_REPORT_PATH": filepath.Join(t.TempDir(), "r.pdf")})
	r.Client = probe.NewClient(r.Settings.APIURL, "wrong-token")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Verdict(ctx, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"  result: interrupted\n", "the job was cancelled: gave up on the report"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}

// TestBase: the status output is one plain word, or UNKNOWN.
func TestBase(t *testing.T) {
	t.Parallel()
	r, log := newRun(t, "", nil)
	outs := Base(r, "FINISHED\n::error::x", "failed")
	got := map[string]string{}
	for _, o := range outs {
		got[o.Name] = o.Value
	}
	if got["status"] != "UNKNOWN" || got["result"] != "failed" || got["test-run-url"] == "" || got["test-run-id"] == "" {
		t.Errorf("outputs %v", got)
	}
	if !strings.Contains(log.String(), "is not a plain word") {
		t.Errorf("log %q", log.String())
	}
	defer func() {
		if recover() == nil {
			t.Error("an output outside the table was accepted")
		}
	}()
	out("not-an-output", "")
}

// TestComment: the comment is posted only on a GitHub pull request with a
// token; each failure is one warning that says what to do.
func TestComment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		env    map[string]string
		want   string
	}{
		{"rejected token", 401, nil, "GitHub rejected the token"},
		{"no permission", 403, nil, "pull-requests: write"},
		{"rate limited", 429, nil, "rate limited"},
		{"no repository", 200, map[string]string{"GITHUB_REPOSITORY": ""}, "GITHUB_REPOSITORY is not set"},
		{"bad API URL", 200, map[string]string{"GITHUB_API_URL": "ftp://x"}, "GITHUB_API_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				if tt.status == 429 {
					w.Header().Set("Retry-After", "60")
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(`{"message":"no"}`))
			}))
			defer gh.Close()
			dir := t.TempDir()
			event := filepath.Join(dir, "event.json")
			if err := os.WriteFile(event, []byte(`{"pull_request":{"number":7}}`), 0o644); err != nil {
				t.Fatal(err)
			}
			env := with(map[string]string{
				"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event,
				"GITHUB_REPOSITORY": "acme/chatbot", "GITHUB_API_URL": gh.URL, "GITHUB_RUN_ID": "9", "GITHUB_RUN_ATTEMPT": "2",
				"GITHUB_SHA": "0123456789abcdef", "SPLX_GITHUB_TOKEN": "ghs-token-4c2e",
			})
			for k, v := range tt.env {
				env[k] = v
			}
			r, log := newRun(t, "", env)
			r.CI = ci.Detect(env, "github")
			if err := Exit(context.Background(), r); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(log.String(), "warning: Pull request comment: could not comment on pull request #7") || !strings.Contains(log.String(), tt.want) {
				t.Errorf("log lacks %q:\n%s", tt.want, log.String())
			}
		})
	}
	r, log := newRun(t, "", nil)
	if err := Exit(context.Background(), r); err != nil || log.Len() != 0 {
		t.Errorf("off a pull request the comment does something: %v %q", err, log.String())
	}
}
