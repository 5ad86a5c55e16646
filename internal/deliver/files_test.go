package deliver

import (
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/ci"
)

// TestCodeQualityLocation: the Code Quality issues point at sarif-location,
// else at the workflow or pipeline file that ran, else at GitLab's default.
func TestCodeQualityLocation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		platform ci.Platform
		env      map[string]string
		want     string
	}{
		{ci.GitLab, map[string]string{"CI_CONFIG_PATH": "ci/pipeline.yml"}, "ci/pipeline.yml"},
		{ci.GitLab, nil, ".gitlab-ci.yml"},
		{ci.GitLab, map[string]string{"SPLX_SARIF_LOCATION": "ci/other.yml", "CI_CONFIG_PATH": "ci/pipeline.yml"}, "ci/other.yml"},
		{ci.GitHub, map[string]string{"GITHUB_WORKFLOW_REF": "acme/chatbot/.github/workflows/red-team.yml@refs/heads/main"}, ".github/workflows/red-team.yml"},
		{ci.CircleCI, nil, ".gitlab-ci.yml"},
	}
	for _, tt := range tests {
		r, _ := newRun(t, "", tt.env)
		r.CI = ci.Detect(tt.env, string(tt.platform))
		if got := codeQualityLocation(r); got != tt.want {
			t.Errorf("%s %v: %q, want %q", tt.platform, tt.env, got, tt.want)
		}
	}
}
