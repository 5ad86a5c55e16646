package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// rerunEnv is a GitHub job that records its run in dir/state.json, as the
// composite action sets it up, at the given attempt of workflow run 555.
func rerunEnv(t *testing.T, api *fakeapi.Server, attempt string, kv ...string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	env := testenv.With(baseEnv(api), "SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s",
		"GITHUB_RUN_ID", "555", "GITHUB_RUN_ATTEMPT", attempt, "GITHUB_JOB", "red-team", "GITHUB_WORKFLOW", "red team")
	for k, v := range githubEnv(t, dir) {
		env[k] = v
	}
	return testenv.With(env, kv...)
}

// readRecord is the state file as the next attempt reads it.
func readRecord(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no record: %v", err)
	}
	var rec map[string]any
	if err := json.Unmarshal(data, &rec); err != nil {
		t.Fatalf("record is not JSON: %v\n%s", err, data)
	}
	return rec
}

const reattached = "Re-attaching to test run 1001, triggered by attempt 1 of this workflow run: no credits spent"

// TestRerunReattaches is the re-run a user clicks: attempt 1 triggers, fails
// the gate and records the run; attempt 2 sends no trigger, says so, and
// judges the same run with its own settings.
func TestRerunReattaches(t *testing.T) {
	t.Parallel()
	api := testenv.NewAPI(t, fakeapi.WithSteps(1))
	state := filepath.Join(t.TempDir(), "state", "splx.json")

	first := invoke(t, context.Background(), rerunEnv(t, api, "1", "SPLX_STATE_PATH", state))
	if first.code != cli.ExitGateFailed {
		t.Fatalf("attempt 1: exit %d, want %d (findings)\n%s", first.code, cli.ExitGateFailed, first.stdout)
	}
	rec := readRecord(t, state)
	for k, want := range map[string]any{"testRunId": 1001.0, "attempt": "1", "ciRun": "555", "job": "red-team", "targetId": 42.0, "commit": "0123456789abcdef", "schema": "splx-probe-action/rerun"} {
		if rec[k] != want {
			t.Errorf("record %s = %v, want %v", k, rec[k], want)
		}
	}

	// The same gate: the same verdict, no trigger.
	second := invoke(t, context.Background(), rerunEnv(t, api, "2", "SPLX_STATE_PATH", state))
	if second.code != cli.ExitGateFailed {
		t.Errorf("attempt 2: exit %d, want %d (the same run's verdict)\n%s", second.code, cli.ExitGateFailed, second.stdout)
	}
	if n := api.Count(fakeapi.OpTrigger); n != 1 {
		t.Errorf("%d triggers, want 1: attempt 2 paid again", n)
	}
	if strings.Count(second.stdout, reattached) != 1 {
		t.Errorf("attempt 2 does not say it re-attached, once:\n%s", second.stdout)
	}
	if second.outputs["test-run-id"] != "1001" || second.outputs["result"] != "failed" {
		t.Errorf("attempt 2 outputs %v, want run 1001 failed", second.outputs)
	}
	if !strings.Contains(second.summary, "♻️ Test run reused: triggered by attempt 1 of this workflow run, so this attempt spent no credits.") {
		t.Errorf("the job summary does not say the run was reused:\n%s", second.summary)
	}
	if strings.Contains(first.summary, "reused") {
		t.Errorf("attempt 1's summary says reused:\n%s", first.summary)
	}

	// Attempt 3 raises the threshold: the same run now passes.
	third := invoke(t, context.Background(), rerunEnv(t, api, "3", "SPLX_STATE_PATH", state, "SPLX_MAX_FAILED", "10"))
	if third.code != cli.ExitOK || api.Count(fakeapi.OpTrigger) != 1 {
		t.Errorf("attempt 3 with max-failed 10: exit %d, %d triggers; want 0 and still 1\n%s", third.code, api.Count(fakeapi.OpTrigger), third.stdout)
	}
	assertRequestsClean(t, api)
}

// TestRerunTriggersAnew covers every record a later attempt must not reuse:
// each triggers a new run, says why in one line, and gates that new run.
func TestRerunTriggersAnew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// file, when set, is the state file's content; otherwise attempt 1
		// runs and records.
		file string
		opts []fakeapi.Option
		// attempt2 changes attempt 2's environment.
		attempt2 []string
		want     string
		code     cli.ExitCode
		// reattached: attempt 2 re-attached first, then found the run dead.
		reattached bool
	}{
		{name: "run ended ERROR", opts: []fakeapi.Option{fakeapi.WithFinalStatus("ERROR")}, reattached: true,
			want: "Test run 1001, triggered by attempt 1 of this workflow run, ended ERROR: it produced nothing to judge; triggering a new test run.", code: cli.ExitNoVerdict},
		{name: "another commit", attempt2: []string{"GITHUB_SHA", "fedcba9876543210"},
			want: "Not reusing test run 1001 recorded in $STATE: it was triggered for commit 0123456789abcdef, not fedcba9876543210; triggering a new test run.", code: cli.ExitGateFailed},
		{name: "another target", attempt2: []string{"SPLX_TARGET_ID", "43"},
			want: "Not reusing test run 1001 recorded in $STATE: it was triggered for target 42, not 43; triggering a new test run.", code: cli.ExitGateFailed},
		{name: "another probe list", attempt2: []string{"SPLX_PROBE_IDS", "2,3"},
			want: "Not reusing test run 1001 recorded in $STATE: it was triggered for probes 1,2,3, not 2,3; triggering a new test run.", code: cli.ExitOK},
		{name: "another name", attempt2: []string{"SPLX_NAME", "nightly"},
			want: `it was triggered for name "", not "nightly"`, code: cli.ExitGateFailed},
		{name: "another workflow run", attempt2: []string{"GITHUB_RUN_ID", "556"},
			want: "it was triggered for CI run 555, not 556", code: cli.ExitGateFailed},
		{name: "the same attempt: another step of the job", attempt2: []string{"GITHUB_RUN_ATTEMPT", "1"},
			want: "Not reusing test run 1001 recorded in $STATE: this attempt triggered it (an earlier step runs the same test); triggering a new test run.", code: cli.ExitGateFailed},
		{name: "rerun: trigger", attempt2: []string{"INPUT_RERUN", "trigger"},
			want: "Not reusing test run 1001, triggered by attempt 1 of this workflow run (rerun: trigger); triggering a new test run.", code: cli.ExitGateFailed},
		{name: "a run the API does not know", reattached: true,
			file: `{"schema":"splx-probe-action/rerun","version":1,"platform":"github","repository":"acme/chatbot","ciRun":"555","job":"red-team","commentKey":"","commit":"0123456789abcdef","apiHost":"$HOST","targetId":42,"probeIds":[1,2,3],"name":"","testRunId":999,"attempt":"1"}`,
			want: "Test run 999, triggered by attempt 1 of this workflow run, is not known to the API (read test run status: HTTP 400 Bad Request (TEST_RUN_NOT_FOUND)", code: cli.ExitGateFailed},
		{name: "corrupt file", file: `{"schema":"splx-probe-action/rerun","version":1,"testRunId":10`,
			want: "ignoring the state file $STATE: it is not valid JSON (a corrupt or truncated file); triggering a new test run", code: cli.ExitGateFailed},
		{name: "foreign file", file: `{"testRunId": 1001, "name": "something else"}`,
			want: "ignoring the state file $STATE: it is not a splx-probe-action re-run record; triggering a new test run", code: cli.ExitGateFailed},
		{name: "newer version", file: `{"schema":"splx-probe-action/rerun","version":2,"testRunId":1001}`,
			want: "it is a version 2 record; this version of the tool reads version 1", code: cli.ExitGateFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, append([]fakeapi.Option{fakeapi.WithSteps(1)}, tt.opts...)...)
			state := filepath.Join(t.TempDir(), "splx.json")
			triggers := 1
			if tt.file != "" {
				testenv.WriteFile(t, state, strings.ReplaceAll(tt.file, "$HOST", strings.TrimPrefix(api.URL, "http://")))
				triggers = 0
			} else {
				invoke(t, context.Background(), rerunEnv(t, api, "1", "SPLX_STATE_PATH", state))
			}
			r := invoke(t, context.Background(), rerunEnv(t, api, "2", append([]string{"SPLX_STATE_PATH", state}, tt.attempt2...)...))
			if r.code != tt.code {
				t.Errorf("exit %d, want %d (the new run's verdict)\n%s", r.code, tt.code, r.stdout)
			}
			if n := api.Count(fakeapi.OpTrigger); n != triggers+1 {
				t.Errorf("%d triggers, want %d: attempt 2 must trigger anew", n, triggers+1)
			}
			want := strings.ReplaceAll(tt.want, "$STATE", state)
			if n := strings.Count(r.stdout, want); n != 1 {
				t.Errorf("attempt 2 says %d times %q, want once:\n%s", n, want, r.stdout)
			}
			if strings.Contains(r.stdout, "Re-attaching") != tt.reattached || strings.Contains(r.summary, "reused") {
				t.Errorf("attempt 2 claims a reuse:\n%s\n%s", r.stdout, r.summary)
			}
			newID, run := readRecord(t, state)["testRunId"], 1001+triggers
			if newID != float64(run) || r.outputs["test-run-id"] != strconv.Itoa(run) {
				t.Errorf("the record names run %v and the output %q, want the new run %d", newID, r.outputs["test-run-id"], run)
			}
		})
	}
}

// TestRerunAfterCancel: attempt 1 is cancelled mid-wait (the signal main
// turns into a cancelled context). With cancel-on-abort false the run goes
// on, and attempt 2 re-attaches to it; with the default the run was
// cancelled, so attempt 2 says so and triggers a new one.
func TestRerunAfterCancel(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name          string
		cancelOnAbort string
		triggers      int
		want          string
	}{
		{"run left going", "false", 1, reattached},
		{"run cancelled with the job", "true", 2, "Test run 1001, triggered by attempt 1 of this workflow run, ended CANCELED: it produced nothing to judge; triggering a new test run."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, fakeapi.WithSteps(1))
			api.Fail(fakeapi.Fault{Op: fakeapi.OpStatus, Hang: true})
			state := filepath.Join(t.TempDir(), "splx.json")
			ctx, cancel := context.WithCancel(context.Background())
			// The first status request hangs until the job is cancelled.
			go func() {
				defer cancel()
				for api.Count(fakeapi.OpStatus) == 0 && ctx.Err() == nil {
					time.Sleep(time.Millisecond)
				}
			}()
			first := invoke(t, ctx, rerunEnv(t, api, "1", "SPLX_STATE_PATH", state, "SPLX_CANCEL_ON_ABORT", tt.cancelOnAbort))
			cancel()
			if first.code != cli.ExitInterrupted {
				t.Fatalf("attempt 1: exit %d, want %d\n%s", first.code, cli.ExitInterrupted, first.stdout)
			}
			second := invoke(t, context.Background(), rerunEnv(t, api, "2", "SPLX_STATE_PATH", state, "SPLX_CANCEL_ON_ABORT", tt.cancelOnAbort))
			if n := api.Count(fakeapi.OpTrigger); n != tt.triggers {
				t.Errorf("%d triggers, want %d", n, tt.triggers)
			}
			if strings.Count(second.stdout, tt.want) != 1 {
				t.Errorf("attempt 2 does not say %q once:\n%s", tt.want, second.stdout)
			}
			if second.code != cli.ExitGateFailed {
				t.Errorf("attempt 2: exit %d, want %d (the findings of the run it judged)\n%s", second.code, cli.ExitGateFailed, second.stdout)
			}
		})
	}
}

// TestRerunTriggerOnly: without wait the run is recorded too, and a re-run
// reports the same run (after checking it is alive) instead of paying.
func TestRerunTriggerOnly(t *testing.T) {
	t.Parallel()
	api := testenv.NewAPI(t)
	state := filepath.Join(t.TempDir(), "splx.json")
	first := invoke(t, context.Background(), rerunEnv(t, api, "1", "SPLX_STATE_PATH", state, "SPLX_WAIT", "false"))
	if first.code != cli.ExitOK || readRecord(t, state)["testRunId"] != 1001.0 {
		t.Fatalf("attempt 1: exit %d\n%s", first.code, first.stdout)
	}
	second := invoke(t, context.Background(), rerunEnv(t, api, "2", "SPLX_STATE_PATH", state, "SPLX_WAIT", "false"))
	if second.code != cli.ExitOK || api.Count(fakeapi.OpTrigger) != 1 {
		t.Errorf("attempt 2: exit %d, %d triggers; want 0 and 1\n%s", second.code, api.Count(fakeapi.OpTrigger), second.stdout)
	}
	if second.outputs["test-run-id"] != "1001" || second.outputs["result"] != "pending" || !strings.Contains(second.stdout, reattached) {
		t.Errorf("attempt 2 outputs %v\n%s", second.outputs, second.stdout)
	}
	if n := api.Count(fakeapi.OpStatus); n != 1 {
		t.Errorf("%d status requests, want 1 (to check that the reused run is alive)", n)
	}
}

// TestRerunSettings: an unknown rerun value is refused before anything is
// sent, and a state file that cannot be written never stops the run.
func TestRerunSettings(t *testing.T) {
	t.Parallel()
	api := testenv.NewAPI(t)
	r := invoke(t, context.Background(), testenv.With(baseEnv(api), "SPLX_RERUN", "sometimes"))
	if r.code != cli.ExitInvalidInput || len(api.Requests()) != 0 || !strings.Contains(r.stdout+r.stderr, `rerun: "sometimes" is not a choice; use reuse`) {
		t.Errorf("exit %d, %d requests\n%s%s", r.code, len(api.Requests()), r.stdout, r.stderr)
	}
	blocker := filepath.Join(t.TempDir(), "file")
	testenv.WriteFile(t, blocker, "")
	r = invoke(t, context.Background(), testenv.With(baseEnv(api), "SPLX_STATE_PATH", filepath.Join(blocker, "state.json")))
	if r.code != cli.ExitOK || api.Count(fakeapi.OpTrigger) != 1 || !strings.Contains(r.stdout+r.stderr, "could not record test run 1001 in") {
		t.Errorf("exit %d, %d triggers\n%s%s", r.code, api.Count(fakeapi.OpTrigger), r.stdout, r.stderr)
	}
}

// TestRerunPlatforms: what GitLab's "Retry" and CircleCI's "Rerun workflow
// from failed" keep (the pipeline and the job's name; the workflow
// workspace) lets attempt 2 re-attach, with what each calls an attempt;
// another pipeline or workspace triggers anew.
func TestRerunPlatforms(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name            string
		first, retry    []string
		want            string
		otherRun        []string
		otherRunMessage string
	}{
		{
			name:            "gitlab retry",
			first:           []string{"GITLAB_CI", "true", "CI_PROJECT_PATH", "acme/bot", "CI_COMMIT_SHA", "abc1234def", "CI_PIPELINE_ID", "4242", "CI_JOB_NAME", "splx-probe", "CI_JOB_ID", "901"},
			retry:           []string{"CI_JOB_ID", "902"},
			want:            "Re-attaching to test run 1001, triggered by job 901 of this pipeline: no credits spent",
			otherRun:        []string{"CI_PIPELINE_ID", "4243", "CI_JOB_ID", "903"},
			otherRunMessage: "it was triggered for CI run 4242, not 4243",
		},
		{
			name:            "circleci rerun from failed",
			first:           []string{"CIRCLECI", "true", "CIRCLE_PROJECT_USERNAME", "acme", "CIRCLE_PROJECT_REPONAME", "bot", "CIRCLE_SHA1", "abc1234def", "CIRCLE_WORKFLOW_WORKSPACE_ID", "ws-1", "CIRCLE_WORKFLOW_ID", "wf-1", "CIRCLE_JOB", "red-team", "CIRCLE_BUILD_NUM", "11"},
			retry:           []string{"CIRCLE_WORKFLOW_ID", "wf-2", "CIRCLE_BUILD_NUM", "14"},
			want:            "Re-attaching to test run 1001, triggered by job 11 of an earlier run of this workflow: no credits spent",
			otherRun:        []string{"CIRCLE_WORKFLOW_WORKSPACE_ID", "ws-2", "CIRCLE_WORKFLOW_ID", "wf-3", "CIRCLE_BUILD_NUM", "15"},
			otherRunMessage: "it was triggered for CI run ws-1, not ws-2",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, fakeapi.WithSteps(1))
			dir := t.TempDir()
			env := testenv.With(baseEnv(api), append([]string{"SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_MAX_FAILED", "10",
				"SPLX_STATE_PATH", filepath.Join(dir, "state.json"), "SPLX_DOTENV_PATH", filepath.Join(dir, "splx.env"), "BASH_ENV", filepath.Join(dir, "bash_env")}, tt.first...)...)
			if r := invoke(t, context.Background(), env); r.code != cli.ExitOK {
				t.Fatalf("attempt 1: exit %d\n%s", r.code, r.stdout)
			}
			r := invoke(t, context.Background(), testenv.With(env, tt.retry...))
			if r.code != cli.ExitOK || api.Count(fakeapi.OpTrigger) != 1 || strings.Count(r.stdout, tt.want) != 1 {
				t.Errorf("retry: exit %d, %d triggers, want 0, 1 and %q once\n%s", r.code, api.Count(fakeapi.OpTrigger), tt.want, r.stdout)
			}
			r = invoke(t, context.Background(), testenv.With(env, tt.otherRun...))
			if api.Count(fakeapi.OpTrigger) != 2 || !strings.Contains(r.stdout, tt.otherRunMessage) {
				t.Errorf("another run: %d triggers, want 2 and %q\n%s", api.Count(fakeapi.OpTrigger), tt.otherRunMessage, r.stdout)
			}
		})
	}
}
