package deliver

import (
	"strings"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/render"
)

// TestCommentFooter: the pull request comment and the merge request note
// link the commit and the CI run their platform's context knows, under
// the key of their own step unless comment-key is set.
func TestCommentFooter(t *testing.T) {
	t.Parallel()
	sha := "0123456789abcdef"
	tests := []struct {
		name     string
		platform ci.Platform
		env      map[string]string
		// footer is what the comment's last line shows; key is the comment
		// key of the destination that posts it there (plain: the demo's
		// preview of the pull request comment).
		footer, key string
	}{
		{"GitHub", ci.GitHub, map[string]string{
			"GITHUB_REPOSITORY": "acme/chatbot", "GITHUB_SHA": sha, "GITHUB_RUN_ID": "9", "GITHUB_RUN_ATTEMPT": "2",
			"GITHUB_WORKFLOW": "red team", "GITHUB_JOB": "gate",
		}, "commit [0123456](https://github.com/acme/chatbot/commit/" + sha + ") · 2026-11-27 10:00:00 UTC · [workflow run](https://github.com/acme/chatbot/actions/runs/9/attempts/2) · splx-probe-action test.",
			"red team / gate / target 42"},
		{"GitLab", ci.GitLab, map[string]string{
			"CI_PROJECT_URL": "https://gitlab.example.com/acme/chatbot", "CI_COMMIT_SHA": sha, "CI_COMMIT_SHORT_SHA": "01234567",
			"CI_JOB_URL": "https://gitlab.example.com/acme/chatbot/-/jobs/77",
		}, "commit [01234567](https://gitlab.example.com/acme/chatbot/-/commit/" + sha + ") · 2026-11-27 10:00:00 UTC · [pipeline job](https://gitlab.example.com/acme/chatbot/-/jobs/77) · splx-probe-action test.",
			"splx-probe / target 42"},
		{"comment-key", ci.GitLab, map[string]string{"SPLX_COMMENT_KEY": "nightly", "CI_JOB_NAME": "probe"},
			"2026-11-27 10:00:00 UTC · splx-probe-action test.", "nightly"},
		{"plain", ci.Plain, map[string]string{"GITHUB_REPOSITORY": "acme/chatbot", "GITHUB_SHA": sha, "GITHUB_RUN_ID": "9"},
			"2026-11-27 10:00:00 UTC · splx-probe-action test.", " /  / target 42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, _ := newRun(t, "", tt.env)
			r.CI = ci.Detect(tt.env, string(tt.platform))
			in := CommentInput(r)
			if comment := render.Comment(in); !strings.Contains(comment, "<sub>"+tt.footer+" The next run") {
				t.Errorf("footer, want %q:\n%s", tt.footer, comment)
			}
			key := in.Key
			if tt.platform == ci.GitLab {
				key = mrNote{}.key(r)
			}
			if key != tt.key {
				t.Errorf("key %q, want %q", key, tt.key)
			}
		})
	}
}
