package ci

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDetect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		env    map[string]string
		forced string
		want   Platform
	}{
		{map[string]string{"GITHUB_ACTIONS": "true"}, "auto", GitHub},
		{map[string]string{"GITHUB_ACTIONS": "true", "ACT": "true"}, "auto", GitHub},
		{map[string]string{"GITLAB_CI": "true"}, "auto", GitLab},
		{map[string]string{"CIRCLECI": "true"}, "", CircleCI},
		{map[string]string{}, "auto", Plain},
		{map[string]string{"GITHUB_ACTIONS": "true"}, "plain", Plain},
		{map[string]string{}, "gitlab", GitLab},
	}
	for _, tt := range tests {
		if got := Detect(tt.env, tt.forced).Platform; got != tt.want {
			t.Errorf("Detect(%v, %q) = %s, want %s", tt.env, tt.forced, got, tt.want)
		}
	}
}

func TestDefaultRunName(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		p    Platform
		env  map[string]string
		want string
	}{
		{GitHub, map[string]string{"GITHUB_REPOSITORY": "a/b", "GITHUB_SHA": "0123456789", "GITHUB_RUN_NUMBER": "5"}, "a/b@0123456 #5"},
		{GitLab, map[string]string{"CI_PROJECT_PATH": "g/p", "CI_COMMIT_SHORT_SHA": "abcdef12", "CI_PIPELINE_IID": "3"}, "g/p@abcdef12 #3"},
		{CircleCI, map[string]string{"CIRCLE_PROJECT_USERNAME": "o", "CIRCLE_PROJECT_REPONAME": "r", "CIRCLE_SHA1": "fffffffffff", "CIRCLE_BUILD_NUM": "9"}, "o/r@fffffff #9"},
		{GitHub, map[string]string{}, "splx-probe-action 2026-01-02 03:04:05Z"},
		{Plain, map[string]string{"GITHUB_REPOSITORY": "a/b"}, "splx-probe-action 2026-01-02 03:04:05Z"},
	}
	for _, tt := range tests {
		if got := Detect(tt.env, string(tt.p)).DefaultRunName(now); got != tt.want {
			t.Errorf("DefaultRunName(%s) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestGitHubFileCommand(t *testing.T) {
	t.Parallel()
	got, err := GitHubFileCommand("result", "a\nb", "r4nd")
	if err != nil || got != "result<<ghadelimiter_r4nd\na\nb\nghadelimiter_r4nd\n" {
		t.Errorf("got %q, %v", got, err)
	}
	if _, err := GitHubFileCommand("status", "x\nghadelimiter_r4nd\nresult=passed", "r4nd"); err == nil {
		t.Error("a value holding the delimiter was accepted")
	}
}

func TestDotenvSafe(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"FINISHED", "1001", "https://probe.splx.ai/w/ws-1/target/4/test-runs/5", "reports/j.xml", ""} {
		if !dotenvSafe(ok) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"a b", "a\nb", "$(x)", `"q"`, "'q'", "a#b", "`x`", "a\\b", strings.Repeat("é", 2)} {
		if dotenvSafe(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestGitHubContext: the pull request comes from the event payload, the
// label tells act apart, and an empty token is explained from the context.
func TestGitHubContext(t *testing.T) {
	t.Parallel()
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"pull_request":{"number":17}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Detect(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event, "GITHUB_HEAD_REF": "feature", "ACT": "true"}, "auto")
	if c.PRNumber != 17 || c.Label() != "act" || !strings.Contains(c.MissingTokenHint(), "pull request from a fork") {
		t.Errorf("context %+v, label %q, hint %q", c, c.Label(), c.MissingTokenHint())
	}
	hints := map[string]map[string]string{
		"Dependabot": {"GITHUB_ACTIONS": "true", "GITHUB_ACTOR": "dependabot[bot]"},
		"":           {"GITLAB_CI": "true"},
	}
	for want, env := range hints {
		got := Detect(env, "auto").MissingTokenHint()
		if (want == "" && got != "") || !strings.Contains(got, want) {
			t.Errorf("env %v: hint %q, want %q", env, got, want)
		}
	}
	// An event payload that cannot be read leaves the rest of the context.
	c = Detect(map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": t.TempDir(), "GITHUB_REPOSITORY": "a/b"}, "auto")
	if c.Repository != "a/b" || c.PRNumber != 0 {
		t.Errorf("context %+v", c)
	}
}

// TestGitLabConfigPath: SARIF and Code Quality point at the pipeline file
// when CI_CONFIG_PATH names a file of this repository, and at GitLab's
// default otherwise (another project's file, a URL, a path that leaves the
// repository).
func TestGitLabConfigPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                           ".gitlab-ci.yml",
		"ci/pipeline.yml":            "ci/pipeline.yml",
		"./ci/pipeline.yml":          "ci/pipeline.yml",
		"ci.yml@acme/pipelines":      ".gitlab-ci.yml",
		"https://example.com/ci.yml": ".gitlab-ci.yml",
		"/etc/ci.yml":                ".gitlab-ci.yml",
		"../other/.gitlab-ci.yml":    ".gitlab-ci.yml",
		"ci/../../x.yml":             ".gitlab-ci.yml",
	} {
		if got := GitLabConfigPath(in); got != want {
			t.Errorf("GitLabConfigPath(%q) = %q, want %q", in, got, want)
		}
	}
}
