package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/gitlabtest"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// gitlabToken is the GitLab token of every test; like the other tokens it
// may appear nowhere but in its own PRIVATE-TOKEN header.
const gitlabToken = gitlabtest.Token

// mrEnv is a GitLab job of a merge-request pipeline for merge request !9
// of project 5 (acme/chatbot), whose notes go through gl, with its files
// in dir.
func mrEnv(api *fakeapi.Server, gl *gitlabtest.Server, dir string, kv ...string) map[string]string {
	env := testenv.With(baseEnv(api), "GITLAB_CI", "true", "CI_MERGE_REQUEST_IID", "9", "CI_PROJECT_ID", "5",
		"CI_API_V4_URL", gl.APIURL(), "CI_PROJECT_PATH", "acme/chatbot", "CI_PROJECT_URL", "https://gitlab.example.com/acme/chatbot",
		"CI_COMMIT_SHA", "0123456789abcdef0123", "CI_COMMIT_SHORT_SHA", "01234567", "CI_PIPELINE_IID", "12",
		"CI_JOB_NAME", "red-team", "CI_JOB_URL", "https://gitlab.example.com/acme/chatbot/-/jobs/4711",
		"CI_JOB_TOKEN", "job-token-not-for-notes", "CI_CONFIG_PATH", "ci/pipeline.yml",
		"SPLX_GITLAB_TOKEN", gitlabToken, "SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_MAX_FAILED", "10",
		"SPLX_DOTENV_PATH", filepath.Join(dir, "splx-probe.env"))
	return testenv.With(env, kv...)
}

// TestMergeRequestNote: on a merge-request pipeline one note per comment
// key, found again across pages by its hidden marker and edited; notes of
// other users that carry the marker are left alone; every exit updates it;
// 401, 403 and 429 are one warning each and the verdict stands; no GitLab
// call off merge requests, without a token or with pr-comment off; the
// tokens never cross.
func TestMergeRequestNote(t *testing.T) {
	t.Parallel()
	t.Run("created, then updated in place, then by a refused run", func(t *testing.T) {
		t.Parallel()
		api := testenv.NewAPI(t, fakeapi.WithSteps(0))
		gl := gitlabtest.Start(t)
		// Someone copied the marker into a note of their own.
		marker := "<!-- splx-probe-action comment "
		r := invoke(t, context.Background(), mrEnv(api, gl, t.TempDir()))
		if r.code != cli.ExitOK || !strings.Contains(r.stdout, "Added a note to merge request !9.") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		first := gl.Ours()
		for _, body := range first {
			gl.Add(3, body[:strings.Index(body, "-->")+3]+" copied by someone else")
		}
		r = invoke(t, context.Background(), mrEnv(api, gl, t.TempDir(), "SPLX_MAX_FAILED", ""))
		if r.code != cli.ExitGateFailed || !strings.Contains(r.stdout, "Updated the note on merge request !9.") || !strings.Contains(r.stdout, "Ignored 1 note(s) on merge request !9") {
			t.Fatalf("second run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		second := gl.Ours()
		if len(first) != 1 || len(second) != 1 {
			t.Fatalf("%d then %d notes, want one kept", len(first), len(second))
		}
		for id, body := range second {
			if _, ok := first[id]; !ok {
				t.Error("the second run made a new note")
			}
			for _, want := range []string{marker, "### ❌ SPLX Probe red team: failed", "Test run 1002", "| Jailbreak | 3 of 125 (2.4%) |",
				"commit [01234567](https://gitlab.example.com/acme/chatbot/-/commit/0123456789abcdef0123)",
				"[pipeline job](https://gitlab.example.com/acme/chatbot/-/jobs/4711)", "its key: red-team / target 42"} {
				if !strings.Contains(body, want) {
					t.Errorf("note lacks %q:\n%s", want, body)
				}
			}
		}
		// A run refused before any trigger still replaces the verdict.
		r = invoke(t, context.Background(), mrEnv(api, gl, t.TempDir(), "SPLX_MAX_FAILED", "lots"))
		if r.code != cli.ExitInvalidInput {
			t.Fatalf("third run: exit %d", r.code)
		}
		for _, body := range gl.Ours() {
			if !strings.Contains(body, "SPLX Probe red team: no verdict: invalid input") || strings.Contains(body, "red team: failed") {
				t.Errorf("the refused run did not replace the verdict:\n%s", body)
			}
		}
		for _, req := range gl.Requests() {
			if !strings.HasPrefix(req.URL.Path, gitlabtest.Prefix+"/") {
				t.Errorf("a request outside CI_API_V4_URL: %s", req.URL.Path)
			}
			for k, vs := range req.Header {
				v := strings.Join(vs, " ")
				if strings.Contains(v, testToken) || k != "Private-Token" && strings.Contains(v, gitlabToken) {
					t.Errorf("a token in GitLab's %s header", k)
				}
			}
		}
		for _, n := range gl.Notes() {
			if strings.Contains(n.Body, gitlabToken) || strings.Contains(n.Body, testToken) {
				t.Errorf("note %d holds a token", n.ID)
			}
			if n.Author != gitlabtest.UserID && strings.Contains(n.Body, "SPLX Probe red team") {
				t.Errorf("note %d of user %d was edited", n.ID, n.Author)
			}
		}
		for _, req := range api.Requests() {
			for k, vs := range req.Header {
				if strings.Contains(strings.Join(vs, " "), gitlabToken) {
					t.Errorf("the GitLab token reached the SPLX API in %s", k)
				}
			}
		}
	})

	t.Run("401, 403 and 429 are one warning; the verdict stands", func(t *testing.T) {
		t.Parallel()
		for status, advice := range map[int]string{
			http.StatusUnauthorized:    "GitLab rejected the token",
			http.StatusForbidden:       "the Reporter role",
			http.StatusTooManyRequests: "GitLab asked to wait 1m0s",
		} {
			api := testenv.NewAPI(t, fakeapi.WithSteps(0))
			gl := gitlabtest.Start(t)
			gl.FailWith(status)
			r := invoke(t, context.Background(), mrEnv(api, gl, t.TempDir(), "SPLX_MAX_FAILED", ""))
			warnings := strings.Count(r.stderr, "warning: Merge request note:")
			if r.code != cli.ExitGateFailed || warnings != 1 || !strings.Contains(r.stderr, advice) || !strings.Contains(r.stderr, "the verdict is unchanged") {
				t.Errorf("HTTP %d: exit %d with %d warnings, want the gate's 1 and one warning saying %q\n%s", status, r.code, warnings, advice, r.stderr)
			}
		}
	})

	t.Run("no GitLab call when there is nothing to note on", func(t *testing.T) {
		t.Parallel()
		for name, kv := range map[string][]string{
			"branch pipeline":  {"CI_MERGE_REQUEST_IID", ""},
			"pr-comment false": {"SPLX_PR_COMMENT", "false"},
			"not GitLab":       {"SPLX_PLATFORM", "plain"},
			"no token":         {"SPLX_GITLAB_TOKEN", ""},
		} {
			api := testenv.NewAPI(t, fakeapi.WithSteps(0))
			gl := gitlabtest.Start(t)
			r := invoke(t, context.Background(), mrEnv(api, gl, t.TempDir(), kv...))
			if r.code != cli.ExitOK || len(gl.Requests()) != 0 {
				t.Errorf("%s: exit %d, %d GitLab requests, want none", name, r.code, len(gl.Requests()))
			}
			if job := strings.Contains(r.stdout, "CI_JOB_TOKEN cannot write notes"); job != (name == "no token") {
				t.Errorf("%s: says CI_JOB_TOKEN cannot write notes: %v\n%s", name, job, r.stdout)
			}
		}
	})
}

// TestCodeQualityOutput: through the real entry point on GitLab,
// codequality-path writes GitLab's Code Quality report at the pipeline
// file, SARIF points there too, both are in the dotenv outputs; a run
// without a verdict writes neither; the setting is refused without wait
// and on another report's path.
func TestCodeQualityOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      []string
		code     cli.ExitCode
		location string
		want     string
	}{
		{"the pipeline file", nil, cli.ExitGateFailed, "ci/pipeline.yml", ""},
		{"GitLab's default pipeline file", []string{"CI_CONFIG_PATH", ""}, cli.ExitGateFailed, ".gitlab-ci.yml", ""},
		{"a pipeline file of another project", []string{"CI_CONFIG_PATH", "ci.yml@acme/pipelines"}, cli.ExitGateFailed, ".gitlab-ci.yml", ""},
		{"sarif-location wins", []string{"SPLX_SARIF_LOCATION", "ai/target.md"}, cli.ExitGateFailed, "ai/target.md", ""},
		{"no verdict, no file", []string{"SPLX_MAX_ERROR_PERCENT", "0"}, cli.ExitNoVerdict, "", "No Code Quality report: the run reached no verdict"},
		{"without wait", []string{"SPLX_WAIT", "false"}, cli.ExitInvalidInput, "", "codequality-path: only applies when waiting for the run"},
		{"on the JUnit file", []string{"SPLX_JUNIT_PATH", "SAME"}, cli.ExitInvalidInput, "", "is the same file as junit-path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, fakeapi.WithSteps(0))
			dir := t.TempDir()
			path := filepath.Join(dir, "out", "gl-code-quality.json")
			sarif := filepath.Join(dir, "out", "splx.sarif")
			for i := range tt.env {
				if tt.env[i] == "SAME" {
					tt.env[i] = path
				}
			}
			env := testenv.With(baseEnv(api), append([]string{"GITLAB_CI", "true", "CI_CONFIG_PATH", "ci/pipeline.yml", "CI_JOB_TOKEN", "x",
				"SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_PROBE_IDS", "1,4", "SPLX_MAX_FAILED_PERCENT", "5",
				"SPLX_CODEQUALITY_PATH", path, "SPLX_SARIF_PATH", sarif, "SPLX_DOTENV_PATH", filepath.Join(dir, "splx-probe.env")}, tt.env...)...)
			if tt.name == "no verdict, no file" {
				api = testenv.NewAPI(t, fakeapi.WithSteps(0), fakeapi.WithProbes(fakeapi.Probe{ID: 1, Name: "Jailbreak", Total: 10, Failed: 1, Errors: 5}))
				env["SPLX_API_URL"], env["SPLX_PROBE_IDS"] = api.URL, "1"
			}
			r := invoke(t, context.Background(), env)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tt.code, r.stdout, r.stderr)
			}
			if tt.want != "" && !strings.Contains(r.stdout+r.stderr, tt.want) {
				t.Errorf("output lacks %q\n%s%s", tt.want, r.stdout, r.stderr)
			}
			dotenv, _ := os.ReadFile(filepath.Join(dir, "splx-probe.env"))
			data, err := os.ReadFile(path)
			if tt.location == "" {
				if err == nil || strings.Contains(string(dotenv), "SPLX_CODEQUALITY_PATH=") {
					t.Errorf("a Code Quality report without a verdict (%v):\n%s", err, dotenv)
				}
				if tt.code == cli.ExitInvalidInput && len(api.Requests()) != 0 {
					t.Error("a refused setting still sent requests")
				}
				return
			}
			if err != nil || !strings.Contains(string(dotenv), "SPLX_CODEQUALITY_PATH="+path+"\n") {
				t.Fatalf("Code Quality report not written (%v) or not an output:\n%s", err, dotenv)
			}
			var issues []struct {
				CheckName string `json:"check_name"`
				Severity  string `json:"severity"`
				Location  struct {
					Path string `json:"path"`
				} `json:"location"`
			}
			if err := json.Unmarshal(data, &issues); err != nil {
				t.Fatal(err)
			}
			// Jailbreak (2.4%) is within the 5% gate, Toxicity (20%) over it.
			if len(issues) != 2 || issues[0].CheckName != "splx-probe/1" || issues[0].Severity != "minor" || issues[1].CheckName != "splx-probe/4" || issues[1].Severity != "critical" {
				t.Fatalf("issues %+v", issues)
			}
			for _, is := range issues {
				if is.Location.Path != tt.location {
					t.Errorf("%s at %q, want %q", is.CheckName, is.Location.Path, tt.location)
				}
			}
			s, _ := os.ReadFile(sarif)
			var doc testenv.SARIF
			if err := json.Unmarshal(s, &doc); err != nil || len(doc.Runs) != 1 || len(doc.Runs[0].Results) != 2 {
				t.Fatalf("SARIF (%v):\n%s", err, s)
			}
			for _, res := range doc.Runs[0].Results {
				if len(res.Locations) != 1 || res.Locations[0].PhysicalLocation.ArtifactLocation.URI != tt.location {
					t.Errorf("a SARIF result does not point at %s: %+v", tt.location, res.Locations)
				}
			}
		})
	}
}
