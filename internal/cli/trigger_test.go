package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// TestTriggerRequest checks the exact request for each way of giving the
// settings: flags, GitHub's INPUT_* variables and SPLX_* variables.
func TestTriggerRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  func(url string) map[string]string
		args []string
		want string
	}{
		{
			name: "flags",
			env:  func(url string) map[string]string { return map[string]string{"SPLX_API_KEY": testToken} },
			args: []string{"--target-id", "42", "--probe-ids", "3, 1 2,3", "--name", "nightly", "--notify-when-finished", "--run-ai-analysis=true", "--api-url", "URL"},
			want: `{"targetId":42,"probeIds":[3,1,2],"name":"nightly","notifyWhenFinished":true,"runAiAnalysis":true}`,
		},
		{
			name: "github inputs",
			env: func(url string) map[string]string {
				return map[string]string{
					"INPUT_API-KEY": testToken, "INPUT_TARGET-ID": "42", "INPUT_PROBE-IDS": "1\n2\n3\n",
					"INPUT_API-URL": url, "INPUT_NAME": "", "INPUT_NOTIFY-WHEN-FINISHED": "false", "INPUT_RUN-AI-ANALYSIS": "",
					"INPUT_WAIT": "", "INPUT_REGION": "eu", "GITHUB_ACTIONS": "true",
					"GITHUB_REPOSITORY": "acme/chatbot", "GITHUB_SHA": "0123456789abcdef", "GITHUB_RUN_NUMBER": "17",
				}
			},
			want: `{"targetId":42,"probeIds":[1,2,3],"name":"acme/chatbot@0123456 #17","notifyWhenFinished":false,"runAiAnalysis":false}`,
		},
		{
			name: "splx variables",
			env: func(url string) map[string]string {
				return map[string]string{
					"SPLX_API_KEY": testToken, "SPLX_TARGET_ID": "42", "SPLX_PROBE_IDS": "[7, 8]", "SPLX_API_URL": url,
					"SPLX_RUN_AI_ANALYSIS": "yes",
					"GITLAB_CI":            "true", "CI_PROJECT_PATH": "acme/bot", "CI_COMMIT_SHORT_SHA": "abc1234", "CI_PIPELINE_IID": "9",
				}
			},
			want: `{"targetId":42,"probeIds":[7,8],"name":"acme/bot@abc1234 #9","notifyWhenFinished":false,"runAiAnalysis":true}`,
		},
		{
			name: "flag beats input beats variable; blank input falls through",
			env: func(url string) map[string]string {
				return map[string]string{
					"INPUT_API-KEY": "", "SPLX_API_KEY": testToken, "SPLX_API_URL": url,
					"INPUT_TARGET-ID": "5", "SPLX_TARGET_ID": "6",
					"INPUT_PROBE-IDS": " ", "SPLX_PROBE_IDS": "4",
					"INPUT_NAME": "from input", "SPLX_NAME": "from env",
				}
			},
			args: []string{"--target-id", "42"},
			want: `{"targetId":42,"probeIds":[4],"name":"from input","notifyWhenFinished":false,"runAiAnalysis":false}`,
		},
		{
			name: "no CI context: timestamp name",
			env: func(url string) map[string]string {
				return map[string]string{"SPLX_API_KEY": testToken, "SPLX_TARGET_ID": "1", "SPLX_PROBE_IDS": "1", "SPLX_API_URL": url}
			},
			want: `{"targetId":1,"probeIds":[1],"name":"splx-probe-action 2026-11-27 10:00:00Z","notifyWhenFinished":false,"runAiAnalysis":false}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t)
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.ReplaceAll(a, "URL", api.URL)
			}
			r := invoke(t, context.Background(), tt.env(api.URL), args...)
			if r.code != cli.ExitOK {
				t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			reqs := api.Requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want exactly one trigger", len(reqs))
			}
			req := reqs[0]
			if req.Method != http.MethodPost || req.Path != "/api/v2/test-run/trigger" {
				t.Errorf("request %s %s, want POST /api/v2/test-run/trigger", req.Method, req.Path)
			}
			for h, want := range map[string]string{"X-Api-Key": testToken, "Content-Type": "application/json", "Accept": "application/json"} {
				if got := req.Header.Get(h); got != want {
					t.Errorf("header %s = %q, want %q", h, got, want)
				}
			}
			if ua := req.Header.Get("User-Agent"); !strings.HasPrefix(ua, "splx-probe-action/test (") {
				t.Errorf("User-Agent = %q, want the tool, version and platform", ua)
			}
			if diff := cmp.Diff(tt.want, req.Body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			assertRequestsClean(t, api)
		})
	}
}

// TestGitHubTrigger is what a GitHub user sees for a trigger: the mask first,
// a notice, and outputs written with random delimiters.
func TestGitHubTrigger(t *testing.T) {
	t.Parallel()
	api := testenv.NewAPI(t)
	env := testenv.With(baseEnv(api), "SPLX_WORKSPACE_ID", "163")
	for k, v := range githubEnv(t, t.TempDir()) {
		env[k] = v
	}
	r := invoke(t, context.Background(), env)
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if first, _, _ := strings.Cut(r.stdout, "\n"); first != "::add-mask::"+testToken {
		t.Errorf("first line %q, want the ::add-mask:: command", first)
	}
	want := map[string]string{
		"test-run-id":  "1001",
		"test-run-url": "https://probe.splx.ai/w/163/target/42/test-runs/1001",
		"status":       "triggered",
		"result":       "pending",
	}
	if diff := cmp.Diff(want, r.outputs); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	checkGolden(t, "github/trigger.stdout", r.stdout)
	if r.stderr != "" {
		t.Errorf("stderr: %q", r.stderr)
	}
}

// TestAuthFailures: a wrong token or a user without access fails the job
// with exit 3 and an error annotation that says what to do.
func TestAuthFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		token  string
		fault  *fakeapi.Fault
		golden string
	}{
		{name: "401", token: "tok-WRONG", golden: "github/auth-401.stdout"},
		{name: "403", token: testToken, golden: "github/auth-403.stdout", fault: &fakeapi.Fault{
			Op: fakeapi.OpTrigger, Status: 403, Body: `{"error":{"message":"Forbidden: you do not have access to this target.","code":"FORBIDDEN"}}`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t)
			if tt.fault != nil {
				api.Fail(*tt.fault)
			}
			env := testenv.With(baseEnv(api), "SPLX_API_KEY", tt.token)
			for k, v := range githubEnv(t, t.TempDir()) {
				env[k] = v
			}
			r := invoke(t, context.Background(), env)
			if r.code != cli.ExitAuth {
				t.Errorf("exit %d, want %d", r.code, cli.ExitAuth)
			}
			if !strings.Contains(r.stdout, "::error title=SPLX Probe ") {
				t.Errorf("no ::error annotation in:\n%s", r.stdout)
			}
			if api.Count(fakeapi.OpTrigger) != 1 {
				t.Errorf("%d triggers, want 1", api.Count(fakeapi.OpTrigger))
			}
			// Every exit path sets result and status, never from API text.
			if diff := cmp.Diff(map[string]string{"result": "error", "status": "UNKNOWN"}, r.outputs); diff != "" {
				t.Errorf("outputs on failure (-want +got):\n%s", diff)
			}
			checkGolden(t, tt.golden, r.stdout)
		})
	}
}

// TestInvalidInputs: each bad input is refused locally with a message that
// names it, exit 2, and nothing is sent.
func TestInvalidInputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"missing token", []string{"SPLX_API_KEY", ""}, nil, "api-key: is empty"},
		{"blank token input", []string{"SPLX_API_KEY", "", "INPUT_API-KEY", "  "}, nil, "api-key: is empty"},
		{"token with space", []string{"SPLX_API_KEY", "tok SECRET"}, nil, "api-key: contains whitespace"},
		{"token with newline", []string{"SPLX_API_KEY", testToken + "\n"}, nil, "api-key: contains whitespace"},
		{"token as flag", nil, []string{"--api-key", testToken}, "api-key: is never taken as a flag"},
		{"target not a number", []string{"SPLX_TARGET_ID", "abc"}, nil, `target-id: "abc" is not a positive integer`},
		{"target zero", []string{"SPLX_TARGET_ID", "0"}, nil, `target-id: "0" is not a positive integer`},
		{"target negative", []string{"SPLX_TARGET_ID", "-4"}, nil, `target-id: "-4" is not a positive integer`},
		{"target hex", []string{"SPLX_TARGET_ID", "0x10"}, nil, `target-id: "0x10" is not a positive integer`},
		{"target overflow", []string{"SPLX_TARGET_ID", "2147483648"}, nil, "target-id: \"2147483648\" is larger than 2147483647"},
		{"target missing", []string{"SPLX_TARGET_ID", ""}, nil, "target-id: is required"},
		{"probes missing", []string{"SPLX_PROBE_IDS", ""}, nil, "probe-ids: is required"},
		{"probes empty element", []string{"SPLX_PROBE_IDS", "1,,2"}, nil, "probe-ids: \"1,,2\" has an empty element"},
		{"probes not numbers", []string{"SPLX_PROBE_IDS", "1,two"}, nil, `probe-ids: probe id "two" is not a positive integer`},
		{"probes bad json", []string{"SPLX_PROBE_IDS", "[1,2"}, nil, "probe-ids: \"[1,2\" is not a JSON array"},
		{"probes json strings", []string{"SPLX_PROBE_IDS", `["a"]`}, nil, "probe-ids: probe id"},
		{"probes empty json", []string{"SPLX_PROBE_IDS", "[]"}, nil, "probe-ids: is an empty list"},
		{"region", []string{"SPLX_REGION", "asia"}, nil, `region: "asia" is not a region`},
		{"http url", []string{"SPLX_API_URL", "http://api.example.com"}, nil, "api-url: \"http://api.example.com\" uses plain http"},
		{"url with credentials", []string{"SPLX_API_URL", "https://u:p@api.example.com"}, nil, "api-url: must not contain credentials"},
		{"url not a url", []string{"SPLX_API_URL", "api.probe.splx.ai"}, nil, "api-url: \"api.probe.splx.ai\" is not an http(s) URL"},
		{"workspace with slash", []string{"SPLX_WORKSPACE_ID", "a/../b"}, nil, "workspace-id: \"a/../b\" is not a workspace id: use the number in the web UI's URL (/w/163/…)"},
		{"workspace slug", []string{"SPLX_WORKSPACE_ID", "my-workspace"}, nil, "workspace-id: \"my-workspace\" is not a workspace id"},
		{"workspace zero", []string{"SPLX_WORKSPACE_ID", "0"}, nil, "workspace-id: \"0\" is not a workspace id"},
		{"token too short", []string{"SPLX_API_KEY", "abc1234"}, nil, "api-key: is shorter than 8 characters"},
		{"bool", []string{"SPLX_NOTIFY_WHEN_FINISHED", "maybe"}, nil, `notify-when-finished: "maybe" is not a boolean`},
		{"timeout", []string{"SPLX_WAIT", "true", "SPLX_TIMEOUT", "soon"}, nil, `timeout: "soon" is not a duration`},
		{"poll interval too short", []string{"SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "100ms"}, nil, "poll-interval: \"100ms\" is shorter than the minimum of 1s"},
		{"max failed negative", []string{"SPLX_WAIT", "true", "SPLX_MAX_FAILED", "-1"}, nil, `max-failed: "-1" is not a whole number`},
		{"percent over 100", []string{"SPLX_WAIT", "true", "SPLX_MAX_FAILED_PERCENT", "150"}, nil, `max-failed-percent: "150" is not a percentage`},
		{"threshold without wait", []string{"SPLX_MAX_FAILED", "3"}, nil, "max-failed: only applies when waiting"},
		{"junit without wait", nil, []string{"--junit-path", "x.xml"}, "junit-path: only applies when waiting"},
		{"test run id", []string{"SPLX_TEST_RUN_ID", "x"}, nil, `test-run-id: "x" is not a positive integer`},
		{"platform", []string{"SPLX_PLATFORM", "jenkins"}, nil, `platform: "jenkins" is not a platform`},
		{"unknown flag", nil, []string{"--target", "1"}, "flag provided but not defined: -target; did you mean --target-id?"},
		{"misspelt flag", []string{"SPLX_WAIT", "true"}, []string{"--max-faild", "3"}, "did you mean --max-failed?"},
		{"positional argument", nil, []string{testToken}, "1 unexpected argument(s), not shown"},
		{"a switch's value after a space", nil, []string{"--wait", "yes"}, `unexpected argument "yes" after --wait: a switch takes its value with =, as in --wait=yes`},
		{"a token after a switch is never shown", nil, []string{"--wait", testToken}, "1 unexpected argument(s), not shown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t)
			r := invoke(t, context.Background(), testenv.With(baseEnv(api), tt.env...), tt.args...)
			if r.code != cli.ExitInvalidInput {
				t.Errorf("exit %d, want %d", r.code, cli.ExitInvalidInput)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr does not say %q:\n%s", tt.want, r.stderr)
			}
			if n := len(api.Requests()); n != 0 {
				t.Errorf("%d requests sent, want none", n)
			}
		})
	}
}

// TestAllInputErrorsAtOnce: a user fixing inputs sees every problem in one
// run, each under its own name.
func TestAllInputErrorsAtOnce(t *testing.T) {
	t.Parallel()
	r := invoke(t, context.Background(), map[string]string{"SPLX_TARGET_ID": "x", "SPLX_PROBE_IDS": "1,,", "SPLX_REGION": "mars"})
	if r.code != cli.ExitInvalidInput {
		t.Errorf("exit %d, want %d", r.code, cli.ExitInvalidInput)
	}
	checkGolden(t, "plain/input-errors.stderr", r.stderr)
}

// TestPlainOutput: off GitHub no workflow command is printed, not even the
// mask (GitLab and CircleCI would print it, token and all).
func TestPlainOutput(t *testing.T) {
	t.Parallel()
	for _, platform := range []map[string]string{{}, {"GITLAB_CI": "true"}, {"CIRCLECI": "true"}} {
		api := testenv.NewAPI(t)
		env := baseEnv(api)
		for k, v := range platform {
			env[k] = v
		}
		r := invoke(t, context.Background(), env)
		if r.code != 0 {
			t.Fatalf("%v: exit %d", platform, r.code)
		}
		if strings.Contains(r.stdout+r.stderr, "::") {
			t.Errorf("%v: workflow command printed off GitHub:\n%s%s", platform, r.stdout, r.stderr)
		}
	}
}

// TestHostileAPIError: an API error message cannot start a workflow command
// in either form, nor add lines to the log.
func TestHostileAPIError(t *testing.T) {
	t.Parallel()
	api := testenv.NewAPI(t)
	msg := "bad\n::set-output name=result::passed\r\n::add-mask::x ##[error]forged %0A::error::x \x1b[2Khidden"
	body, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "code": "::warning::X", "errors": map[string]string{"##[group]": "::endgroup::"}}})
	api.Fail(fakeapi.Fault{Op: fakeapi.OpTrigger, Status: 400, Body: string(body)})
	env := baseEnv(api)
	for k, v := range githubEnv(t, t.TempDir()) {
		env[k] = v
	}
	r := invoke(t, context.Background(), env)
	if r.code != cli.ExitInvalidInput {
		t.Errorf("exit %d, want %d (400 is rejected input)", r.code, cli.ExitInvalidInput)
	}
	assertNoInjection(t, r.stdout+r.stderr, []string{"add-mask", "error"})
	checkGolden(t, "github/hostile-400.stdout", r.stdout)
}

// gitlabSection matches GitLab's collapsible-section markers.
var gitlabSection = regexp.MustCompile(`^\x1b\[0Ksection_(start|end):\d+:[a-z0-9_]+(\[collapsed=(true|false)\])?\r\x1b\[0K`)

// ownColour is a colour the tool paints text with: one SGR code, text
// without escapes, and the reset. An escape from API text is never one.
var ownColour = regexp.MustCompile(`\x1b\[(?:1|31|32|33|36|1;31|1;32|1;33)m([^\x1b]*)\x1b\[0m`)

// assertNoInjection fails when any line would run a workflow command other
// than the allowed ones that the tool itself prints.
func assertNoInjection(t *testing.T, log string, allowed []string) {
	t.Helper()
	for _, l := range strings.Split(log, "\n") {
		l = gitlabSection.ReplaceAllString(l, "") // the tool's own section markers
		l = ownColour.ReplaceAllString(l, "$1")   // and colours (GitLab, CircleCI)
		if strings.Contains(l, "##[") {
			t.Errorf("legacy command form in log line %q", l)
		}
		if strings.ContainsAny(l, "\r\x1b") {
			t.Errorf("control character in log line %q", l)
		}
		trimmed := strings.TrimSpace(l)
		if !strings.HasPrefix(trimmed, "::") {
			continue
		}
		name := strings.TrimPrefix(trimmed, "::")
		name, _, _ = strings.Cut(name, "::")
		name, _, _ = strings.Cut(name, " ")
		ok := false
		for _, a := range append(allowed, "group", "endgroup", "notice", "warning", "debug", "stop-commands") {
			if name == a {
				ok = true
			}
		}
		if !ok {
			t.Errorf("log line starts a command %q: %q", name, l)
		}
	}
}
