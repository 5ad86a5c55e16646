package cli_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/render"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// stepMarker is the marker of prEnv's step, which anyone who reads the
// workflow can compute.
var stepMarker = render.CommentMarker("red team / gate / target 42")

// maxRequestTimeout is request-timeout at its maximum: nothing but a grace
// can end a hanging request then, and no product of it may overflow.
const maxRequestTimeout = "2562047h"

// TestPRCommentIdentity: only a comment the token's own identity wrote is
// ever edited; planted comments and people quoting the marker are ignored
// and never keep the tool from posting its own.
func TestPRCommentIdentity(t *testing.T) {
	t.Parallel()
	t.Run("planted and quoted markers are ignored, ours is posted", func(t *testing.T) {
		t.Parallel()
		api := testenv.NewAPI(t, fakeapi.WithSteps(0))
		gh := newGitHub(t)
		planted := gh.add("mallory", stepMarker+"\n### SPLX Probe red team: ✅ passed")
		quoted := gh.add("alice", "why does the bot write `"+stepMarker+"`?")
		r := invoke(t, context.Background(), prEnv(t, api, gh, "pull_request", "SPLX_MAX_FAILED", ""))
		if r.code != cli.ExitGateFailed || !strings.Contains(r.stdout, "Ignored 2 comment(s) on pull request #17 that carry this step's marker but were not written by github-actions[bot].") {
			t.Fatalf("exit %d\n%s", r.code, r.stdout)
		}
		if strings.Contains(r.stdout, "::warning title=Pull request comment") {
			t.Errorf("a planted comment got in the way:\n%s", r.stdout)
		}
		gh.mu.Lock()
		if !strings.HasSuffix(gh.comments[planted], "✅ passed") || !strings.HasPrefix(gh.comments[quoted], "why does") {
			t.Errorf("someone else's comment was edited: %q, %q", gh.comments[planted], gh.comments[quoted])
		}
		gh.mu.Unlock()
		if body := onlyComment(t, gh); !strings.Contains(body, "### ❌ SPLX Probe red team: failed") {
			t.Errorf("our comment:\n%s", body)
		}
	})

	t.Run("a personal access token edits only its user's comment", func(t *testing.T) {
		t.Parallel()
		api := testenv.NewAPI(t, fakeapi.WithSteps(0))
		gh := newGitHub(t)
		gh.pat = "octo-ci"
		bot := gh.add("github-actions[bot]", stepMarker+"\nold")
		for round := 0; round < 2; round++ {
			invoke(t, context.Background(), prEnv(t, api, gh, "pull_request"))
		}
		onlyComment(t, gh)
		gh.mu.Lock()
		defer gh.mu.Unlock()
		if gh.comments[bot] != stepMarker+"\nold" {
			t.Errorf("the bot's comment was edited with a personal access token")
		}
	})

	t.Run("a GitHub App's token keeps one comment of its own bot", func(t *testing.T) {
		t.Parallel()
		api := testenv.NewAPI(t, fakeapi.WithSteps(0))
		gh := newGitHub(t)
		gh.app = "splx-reviewer[bot]"
		bot := gh.add("github-actions[bot]", stepMarker+"\nold")
		for round := 0; round < 3; round++ {
			r := invoke(t, context.Background(), prEnv(t, api, gh, "pull_request"))
			if strings.Contains(r.stdout, "::warning title=Pull request comment") {
				t.Fatalf("round %d:\n%s", round, r.stdout)
			}
		}
		onlyComment(t, gh) // three runs, one comment: the app's own, edited
		gh.mu.Lock()
		defer gh.mu.Unlock()
		if gh.comments[bot] != stepMarker+"\nold" {
			t.Errorf("github-actions[bot]'s comment was edited with the app's token")
		}
	})
}

// TestPRCommentNeverStale: every exit after the pull request context was
// read updates the one comment to say what happened, with the commit, the
// time and the workflow run; an earlier "✅ passed" never survives a red
// job.
func TestPRCommentNeverStale(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kv   []string
		// fault is queued on the fake API.
		fault *fakeapi.Fault
		code  cli.ExitCode
		want  string
	}{
		{"invalid settings", []string{"SPLX_MAX_FAILED", "lots"}, nil, cli.ExitInvalidInput, "❓ SPLX Probe red team: no verdict: invalid input"},
		{"token rejected", []string{"SPLX_API_KEY", "tok-WRONG"}, nil, cli.ExitAuth, "❓ SPLX Probe red team: no verdict: splx probe authentication failed"},
		{"API failure after the trigger", nil, &fakeapi.Fault{Op: fakeapi.OpStatus, Status: 500, Times: 10}, cli.ExitAPI, "❓ SPLX Probe red team: no verdict: splx probe api failure"},
		{"passed, report not written", []string{"SPLX_JUNIT_PATH", "/dev/null/junit.xml"}, nil, cli.ExitAPI, "❌ SPLX Probe red team: job failed: report not written"},
		{"baseline refused", []string{"SPLX_BASELINE_PATH", "prcomment_test.go"}, nil, cli.ExitInvalidInput, "❓ SPLX Probe red team: no verdict: invalid input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, fakeapi.WithSteps(0))
			gh := newGitHub(t)
			invoke(t, context.Background(), prEnv(t, api, gh, "pull_request"))
			if body := onlyComment(t, gh); !strings.Contains(body, "### ✅ SPLX Probe red team: passed") {
				t.Fatalf("first run:\n%s", body)
			}
			if tt.fault != nil {
				api.Fail(*tt.fault)
			}
			r := invoke(t, context.Background(), prEnv(t, api, gh, "pull_request", tt.kv...))
			body := onlyComment(t, gh)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s", r.code, tt.code, r.stdout)
			}
			for _, w := range []string{"### " + tt.want, "(exit " + string(rune('0'+tt.code)) + ")",
				"commit [0123456](https://github.com/acme/chatbot/commit/0123456789abcdef)", "2026-11-27 10:0",
				"[workflow run](https://github.com/acme/chatbot/actions/runs/4711)"} {
				if !strings.Contains(body, w) {
					t.Errorf("comment lacks %q:\n%s", w, body)
				}
			}
			if strings.Contains(body, "red team: passed") {
				t.Errorf("a red job's comment says passed:\n%s", body)
			}
		})
	}
}

// TestPRCommentInterrupted: a cancelled job updates its comment within the
// grace and exits 130; a comment or PDF download that hangs at a signal is
// cut after the grace (request-timeout at its maximum: nothing else would
// end it), and the exit is 130 even though a verdict was reached.
func TestPRCommentInterrupted(t *testing.T) {
	t.Parallel()
	t.Run("cancelled while waiting", func(t *testing.T) {
		t.Parallel()
		api := testenv.NewAPI(t, fakeapi.WithSteps(0))
		api.AddRun(42, 1)
		gh := newGitHub(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r := invoke(t, ctx, prEnv(t, api, gh, "pull_request", "SPLX_TEST_RUN_ID", "1001"))
		if body := onlyComment(t, gh); r.code != cli.ExitInterrupted || !strings.Contains(body, "### ⏹️ SPLX Probe red team: interrupted") {
			t.Errorf("exit %d, comment:\n%s", r.code, body)
		}
	})
	t.Run("signal while the comment hangs", func(t *testing.T) {
		t.Parallel()
		api := testenv.NewAPI(t, fakeapi.WithSteps(0))
		gh := newGitHub(t)
		gh.hang = http.MethodPost
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-gh.hung; cancel() }()
		r := invoke(t, ctx, prEnv(t, api, gh, "pull_request", "SPLX_REQUEST_TIMEOUT", maxRequestTimeout))
		if r.code != cli.ExitInterrupted || r.outputs["result"] != "passed" ||
			!strings.Contains(r.stdout, "the job was cancelled, and the comment got 2s") || !strings.Contains(r.stdout, "::error title=Interrupted::") {
			t.Errorf("exit %d, result %q\n%s", r.code, r.outputs["result"], r.stdout)
		}
	})
	t.Run("signal during the PDF download", func(t *testing.T) {
		t.Parallel()
		api := testenv.NewAPI(t, fakeapi.WithSteps(0))
		api.Fail(fakeapi.Fault{Op: fakeapi.OpReport, Hang: true})
		gh := newGitHub(t)
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			testenv.Eventually(t, "the download", func() bool { return api.Count(fakeapi.OpReport) > 0 })
			cancel()
		}()
		env := prEnv(t, api, gh, "pull_request", "SPLX_REQUEST_TIMEOUT", maxRequestTimeout, "SPLX_PR_COMMENT", "false")
		env["SPLX_REPORT_PATH"] = filepath.Join(t.TempDir(), "report.pdf")
		r := invoke(t, ctx, env)
		if r.code != cli.ExitInterrupted || r.outputs["result"] != "interrupted" || r.outputs["report-path"] != "" ||
			!strings.Contains(r.stdout, "gave up on the report of test run 1001 after the 2s grace") {
			t.Errorf("exit %d, outputs %v\n%s", r.code, r.outputs, r.stdout)
		}
	})
}

// TestPRCommentHostileContext: rate limits are not permissions; review
// events and unreadable event files comment nothing; mentions, references
// and URLs in API text stay inert; a run that ended ERROR shows no probe as
// passed anywhere.
func TestPRCommentHostileContext(t *testing.T) {
	t.Parallel()
	t.Run("rate limited", func(t *testing.T) {
		t.Parallel()
		api := testenv.NewAPI(t, fakeapi.WithSteps(0))
		gh := newGitHub(t)
		gh.failWith, gh.failHeader = http.StatusForbidden, map[string]string{"X-RateLimit-Remaining": "0"}
		r := invoke(t, context.Background(), prEnv(t, api, gh, "pull_request"))
		if r.code != cli.ExitOK || !strings.Contains(r.stdout, "GitHub rate limited the token") || strings.Contains(r.stdout, "pull-requests: write") {
			t.Errorf("exit %d\n%s", r.code, r.stdout)
		}
	})
	t.Run("no comment for other events or an unreadable event file", func(t *testing.T) {
		t.Parallel()
		huge := filepath.Join(t.TempDir(), "event.json")
		if err := os.WriteFile(huge, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(huge, 26<<20); err != nil { // sparse: no disk used
			t.Fatal(err)
		}
		for name, tt := range map[string]struct {
			kv   []string
			warn string
		}{
			"review":         {[]string{"GITHUB_EVENT_NAME", "pull_request_review"}, ""},
			"review comment": {[]string{"GITHUB_EVENT_NAME", "pull_request_review_comment"}, ""},
			"/dev/zero":      {[]string{"GITHUB_EVENT_PATH", "/dev/zero"}, "GITHUB_EVENT_PATH is not a regular file"},
			"a folder":       {[]string{"GITHUB_EVENT_PATH", "."}, "GITHUB_EVENT_PATH is not a regular file"},
			"huge":           {[]string{"GITHUB_EVENT_PATH", huge}, "GITHUB_EVENT_PATH is larger than 25 MiB"},
		} {
			kv := tt.kv
			api := testenv.NewAPI(t, fakeapi.WithSteps(0))
			gh := newGitHub(t)
			r := invoke(t, context.Background(), prEnv(t, api, gh, "pull_request", kv...))
			if r.code != cli.ExitOK || gh.count() != 0 {
				t.Errorf("%s: exit %d, %d GitHub requests\n%s", name, r.code, gh.count(), r.stdout)
			}
			if got := strings.Contains(r.stdout, "::warning title=Pull request comment::could not read the event payload"); got != (tt.warn != "") || !strings.Contains(r.stdout, tt.warn) {
				t.Errorf("%s: the warning about the event file:\n%s", name, r.stdout)
			}
		}
	})
	t.Run("mentions, references and URLs are inert", func(t *testing.T) {
		t.Parallel()
		api := testenv.NewAPI(t, fakeapi.WithSteps(0), fakeapi.WithProbes(fakeapi.Probe{ID: 1, Name: "@acme/security see #12, GH-7, https://evil.example/x www.evil.example ops@evil.example", Total: 10, Failed: 1}))
		gh := newGitHub(t)
		invoke(t, context.Background(), prEnv(t, api, gh, "pull_request", "SPLX_PROBE_IDS", "1"))
		body := onlyComment(t, gh)
		for _, live := range []string{"@acme", "#12", "GH-7", "https://evil", "www.evil", "@evil"} {
			if strings.Contains(body, live) {
				t.Errorf("the comment keeps %q live:\n%s", live, body)
			}
		}
		if !strings.Contains(body, "@\u200dacme/security") {
			t.Errorf("the name is no longer readable:\n%s", body)
		}
	})
	t.Run("a run that ended ERROR shows no probe as passed", func(t *testing.T) {
		t.Parallel()
		api := testenv.NewAPI(t, fakeapi.WithSteps(0), fakeapi.WithFinalStatus("ERROR"))
		gh := newGitHub(t)
		r := invoke(t, context.Background(), prEnv(t, api, gh, "pull_request", "SPLX_PROBE_IDS", "2,3"))
		body := onlyComment(t, gh)
		if r.code != cli.ExitNoVerdict {
			t.Errorf("exit %d", r.code)
		}
		for where, text := range map[string]string{"comment": body, "summary": r.summary, "log": r.stdout} {
			if strings.Contains(text, "✅") || strings.Contains(text, "| passed") {
				t.Errorf("the %s shows a probe of an ERROR run as passed:\n%s", where, text)
			}
		}
	})
}
