package ci

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestContextLinks: each platform's context fills the links the comment
// shows and the API it talks to, and only GitHub's knows a pull request,
// only GitLab's a merge request.
func TestContextLinks(t *testing.T) {
	t.Parallel()
	type links struct {
		CommitURL, RunURL, RunLabel, APIURL string
		PRNumber, MergeRequestIID           int
	}
	sha := "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name   string
		forced Platform
		env    map[string]string
		want   links
	}{
		{"GitHub Enterprise, a later attempt", GitHub, map[string]string{
			"GITHUB_SERVER_URL": "https://ghe.example.com/", "GITHUB_API_URL": "https://ghe.example.com/api/v3",
			"GITHUB_REPOSITORY": "acme/chatbot", "GITHUB_SHA": sha, "GITHUB_RUN_ID": "9", "GITHUB_RUN_ATTEMPT": "2",
			"CI_MERGE_REQUEST_IID": "3",
		}, links{
			CommitURL: "https://ghe.example.com/acme/chatbot/commit/" + sha, RunURL: "https://ghe.example.com/acme/chatbot/actions/runs/9/attempts/2",
			RunLabel: "workflow run", APIURL: "https://ghe.example.com/api/v3",
		}},
		{"github.com, the first attempt", GitHub, map[string]string{
			"GITHUB_REPOSITORY": "acme/chatbot", "GITHUB_SHA": sha, "GITHUB_RUN_ID": "9", "GITHUB_RUN_ATTEMPT": "1",
		}, links{
			CommitURL: "https://github.com/acme/chatbot/commit/" + sha, RunURL: "https://github.com/acme/chatbot/actions/runs/9",
			RunLabel: "workflow run", APIURL: "https://api.github.com",
		}},
		{"GitHub without a run", GitHub, map[string]string{}, links{RunLabel: "workflow run", APIURL: "https://api.github.com"}},
		{"GitLab merge request pipeline", GitLab, map[string]string{
			"CI_PROJECT_URL": "https://gitlab.example.com/acme/chatbot/", "CI_COMMIT_SHA": sha,
			"CI_JOB_URL": "https://gitlab.example.com/acme/chatbot/-/jobs/77", "CI_API_V4_URL": "https://gitlab.example.com/api/v4",
			"CI_MERGE_REQUEST_IID": "3", "GITHUB_RUN_ID": "9",
		}, links{
			CommitURL: "https://gitlab.example.com/acme/chatbot/-/commit/" + sha, RunURL: "https://gitlab.example.com/acme/chatbot/-/jobs/77",
			RunLabel: "pipeline job", APIURL: "https://gitlab.example.com/api/v4", MergeRequestIID: 3,
		}},
		{"GitLab without the project's page", GitLab, map[string]string{"CI_COMMIT_SHA": sha, "CI_MERGE_REQUEST_IID": "x"}, links{RunLabel: "pipeline job"}},
		{"CircleCI", CircleCI, map[string]string{"CIRCLE_BUILD_URL": "https://circleci.com/gh/acme/chatbot/12", "CIRCLE_SHA1": sha}, links{
			RunURL: "https://circleci.com/gh/acme/chatbot/12", RunLabel: "job",
		}},
		{"plain", Plain, map[string]string{"GITHUB_REPOSITORY": "acme/chatbot", "GITHUB_SHA": sha, "CI_JOB_URL": "https://x"}, links{}},
	}
	for _, tt := range tests {
		c := Detect(tt.env, string(tt.forced))
		got := links{c.CommitURL, c.RunURL, c.RunLabel, c.APIURL, c.PRNumber, c.MergeRequestIID}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: links (-want +got):\n%s", tt.name, diff)
		}
	}
}

// TestPlatformWording: each platform names itself, the attempt that
// triggered a reused run, and why a token may be empty, in its own words.
func TestPlatformWording(t *testing.T) {
	t.Parallel()
	dependabot := map[string]string{"GITHUB_ACTOR": "dependabot[bot]"}
	fork := map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_HEAD_REF": "feature"}
	tests := []struct {
		p                    Platform
		env                  map[string]string
		label, attempt, hint string
	}{
		{GitHub, nil, "GitHub Actions", "attempt 2 of this workflow run", ""},
		{GitHub, map[string]string{"ACT": "true"}, "act", "attempt 2 of this workflow run", ""},
		{GitHub, dependabot, "GitHub Actions", "attempt 2 of this workflow run", "Dependabot runs get no repository secrets"},
		{GitHub, fork, "GitHub Actions", "attempt 2 of this workflow run", "if this is a pull request from a fork"},
		{GitLab, dependabot, "GitLab CI", "job 2 of this pipeline", ""},
		{CircleCI, fork, "CircleCI", "job 2 of an earlier run of this workflow", ""},
		{Plain, dependabot, "terminal", "an earlier run of this step", ""},
		{"nope", nil, "terminal", "an earlier run of this step", ""},
	}
	for _, tt := range tests {
		c := Detect(tt.env, string(tt.p))
		hint := c.MissingTokenHint()
		if c.Label() != tt.label || c.AttemptLabel("2") != tt.attempt || (tt.hint == "") != (hint == "") || !strings.HasPrefix(hint, tt.hint) {
			t.Errorf("%s %v: label %q, attempt %q, hint %q; want %q, %q, %q", tt.p, tt.env, c.Label(), c.AttemptLabel("2"), hint, tt.label, tt.attempt, tt.hint)
		}
		if got := c.AttemptLabel(""); got != "an earlier run of this step" {
			t.Errorf("%s: unknown attempt %q", tt.p, got)
		}
	}
}
