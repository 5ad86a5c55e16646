package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/probetest"
)

// gitlabToken is the GitLab token of every test; like the other tokens it
// may appear nowhere but in its own PRIVATE-TOKEN header.
const gitlabToken = "glpat-GITLAB-TOKEN-8b1d"

// glPrefix is where the fake GitLab serves its API: a self-managed
// instance under a relative URL root.
const glPrefix = "/gitlab/api/v4"

// fakeGitLab is GitLab's merge request notes API on 127.0.0.1 under
// glPrefix: paginated listings (2 per page, X-Next-Page and Link), create,
// update, GET /user, and a status to answer everything with. The token
// writes as user 77.
type fakeGitLab struct {
	*httptest.Server
	mu       sync.Mutex
	notes    map[int64]string // by id
	authors  map[int64]int64  // by id
	system   map[int64]bool
	nextID   int64
	requests []*http.Request
	failWith int
}

// glUser is the token's user id.
const glUser = 77

func newGitLab(t *testing.T) *fakeGitLab {
	t.Helper()
	g := &fakeGitLab{notes: map[int64]string{}, authors: map[int64]int64{}, system: map[int64]bool{}, nextID: 500}
	for i := 0; i < 3; i++ {
		g.add(3, fmt.Sprintf("an unrelated note %d", i))
	}
	g.add(1, "added 1 commit")
	g.system[g.nextID] = true
	g.Server = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.Close)
	return g
}

func (g *fakeGitLab) add(author int64, body string) int64 {
	g.nextID++
	g.notes[g.nextID], g.authors[g.nextID] = body, author
	return g.nextID
}

func (g *fakeGitLab) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests = append(g.requests, r.Clone(context.Background()))
	if r.Header.Get("PRIVATE-TOKEN") != gitlabToken {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"401 Unauthorized"}`)
		return
	}
	if g.failWith != 0 {
		if g.failWith == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "60")
		}
		w.WriteHeader(g.failWith)
		fmt.Fprintf(w, `{"message":"%d refused"}`, g.failWith)
		return
	}
	const list = glPrefix + "/projects/5/merge_requests/9/notes"
	switch {
	case r.Method == http.MethodGet && r.URL.Path == glPrefix+"/user":
		fmt.Fprintf(w, `{"id":%d,"username":"project_5_bot_3f2a"}`, glUser)
	case r.Method == http.MethodGet && r.URL.Path == list:
		ids := make([]int64, 0, len(g.notes))
		for id := range g.notes {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		page = max(page, 1)
		from, to := (page-1)*2, min(page*2, len(ids))
		out := []map[string]any{}
		for _, id := range ids[min(from, len(ids)):to] {
			out = append(out, map[string]any{"id": id, "body": g.notes[id], "system": g.system[id], "author": map[string]any{"id": g.authors[id], "username": fmt.Sprint("user", g.authors[id])}})
		}
		if to < len(ids) {
			w.Header().Set("X-Next-Page", strconv.Itoa(page+1))
			w.Header().Set("Link", fmt.Sprintf(`<%s%s?page=%d&per_page=100>; rel="next"`, g.URL, list, page+1))
		}
		json.NewEncoder(w).Encode(out)
	case r.Method == http.MethodPost && r.URL.Path == list:
		var in struct{ Body string }
		json.NewDecoder(r.Body).Decode(&in)
		g.add(glUser, in.Body)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"id": g.nextID, "body": in.Body})
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, list+"/"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, list+"/"), 10, 64)
		if _, ok := g.notes[id]; !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if g.authors[id] != glUser {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"403 Forbidden"}`)
			return
		}
		var in struct{ Body string }
		json.NewDecoder(r.Body).Decode(&in)
		g.notes[id] = in.Body
		json.NewEncoder(w).Encode(map[string]any{"id": id, "body": in.Body})
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"404 Not Found"}`)
	}
}

// ours returns the tool's notes (the token's, with a marker), by id.
func (g *fakeGitLab) ours() map[int64]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[int64]string{}
	for id, body := range g.notes {
		if strings.Contains(body, "<!-- splx-probe-action comment ") && g.authors[id] == glUser {
			out[id] = body
		}
	}
	return out
}

func (g *fakeGitLab) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.requests)
}

// mrEnv is a GitLab job of a merge-request pipeline for merge request !9
// of project 5 (acme/chatbot), whose notes go through gl, with its files
// in dir.
func mrEnv(api *probetest.Server, gl *fakeGitLab, dir string, kv ...string) map[string]string {
	env := with(baseEnv(api), "GITLAB_CI", "true", "CI_MERGE_REQUEST_IID", "9", "CI_PROJECT_ID", "5",
		"CI_API_V4_URL", gl.URL+glPrefix, "CI_PROJECT_PATH", "acme/chatbot", "CI_PROJECT_URL", "https://gitlab.example.com/acme/chatbot",
		"CI_COMMIT_SHA", "0123456789abcdef0123", "CI_COMMIT_SHORT_SHA", "01234567", "CI_PIPELINE_IID", "12",
		"CI_JOB_NAME", "red-team", "CI_JOB_URL", "https://gitlab.example.com/acme/chatbot/-/jobs/4711",
		"CI_JOB_TOKEN", "job-token-not-for-notes", "CI_CONFIG_PATH", "ci/pipeline.yml",
		"SPLX_GITLAB_TOKEN", gitlabToken, "SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_MAX_FAILED", "10",
		"SPLX_DOTENV_PATH", filepath.Join(dir, "splx-probe.env"))
	return with(env, kv...)
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
		api := newAPI(t, probetest.WithSteps(0))
		gl := newGitLab(t)
		// Someone copied the marker into a note of their own.
		marker := "<!-- splx-probe-action comment "
		r := invoke(t, context.Background(), mrEnv(api, gl, t.TempDir()))
		if r.code != cli.ExitOK || !strings.Contains(r.stdout, "Added a note to merge request !9.") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		first := gl.ours()
		for _, body := range first {
			gl.mu.Lock()
			gl.add(3, body[:strings.Index(body, "-->")+3]+" copied by someone else")
			gl.mu.Unlock()
		}
		r = invoke(t, context.Background(), mrEnv(api, gl, t.TempDir(), "SPLX_MAX_FAILED", ""))
		if r.code != cli.ExitGateFailed || !strings.Contains(r.stdout, "Updated the note on merge request !9.") || !strings.Contains(r.stdout, "Ignored 1 note(s) on merge request !9") {
			t.Fatalf("second run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		second := gl.ours()
		if len(first) != 1 || len(second) != 1 {
			t.Fatalf("%d then %d notes, want one kept", len(first), len(second))
		}
		for id, body := range second {
			if _, ok := first[id]; !ok {
				t.Error("the second run made a new note")
			}
			for _, want := range []string{marker, "### SPLX Probe red team: ❌ failed", "Test run 1002", "| Jailbreak | 3 of 125 (2.4%) |",
				"commit [01234567](https://gitlab.example.com/acme/chatbot/-/commit/0123456789abcdef0123)",
				"[pipeline job](https://gitlab.example.com/acme/chatbot/-/jobs/4711)", "updated by red-team / target 42"} {
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
		for _, body := range gl.ours() {
			if !strings.Contains(body, "⚠️ no verdict: invalid input") || strings.Contains(body, "❌ failed") {
				t.Errorf("the refused run did not replace the verdict:\n%s", body)
			}
		}
		gl.mu.Lock()
		defer gl.mu.Unlock()
		for _, req := range gl.requests {
			if !strings.HasPrefix(req.URL.Path, glPrefix+"/") {
				t.Errorf("a request outside CI_API_V4_URL: %s", req.URL.Path)
			}
			for k, vs := range req.Header {
				v := strings.Join(vs, " ")
				if strings.Contains(v, testToken) || k != "Private-Token" && strings.Contains(v, gitlabToken) {
					t.Errorf("a token in GitLab's %s header", k)
				}
			}
		}
		for id, body := range gl.notes {
			if strings.Contains(body, gitlabToken) || strings.Contains(body, testToken) {
				t.Errorf("note %d holds a token", id)
			}
			if gl.authors[id] != glUser && strings.Contains(body, "SPLX Probe red team") {
				t.Errorf("note %d of user %d was edited", id, gl.authors[id])
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
			api := newAPI(t, probetest.WithSteps(0))
			gl := newGitLab(t)
			gl.failWith = status
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
			api := newAPI(t, probetest.WithSteps(0))
			gl := newGitLab(t)
			r := invoke(t, context.Background(), mrEnv(api, gl, t.TempDir(), kv...))
			if r.code != cli.ExitOK || gl.count() != 0 {
				t.Errorf("%s: exit %d, %d GitLab requests, want none", name, r.code, gl.count())
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
			api := newAPI(t, probetest.WithSteps(0))
			dir := t.TempDir()
			path := filepath.Join(dir, "out", "gl-code-quality.json")
			sarif := filepath.Join(dir, "out", "splx.sarif")
			for i := range tt.env {
				if tt.env[i] == "SAME" {
					tt.env[i] = path
				}
			}
			env := with(baseEnv(api), append([]string{"GITLAB_CI", "true", "CI_CONFIG_PATH", "ci/pipeline.yml", "CI_JOB_TOKEN", "x",
				"SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_PROBE_IDS", "1,4", "SPLX_MAX_FAILED_PERCENT", "5",
				"SPLX_CODEQUALITY_PATH", path, "SPLX_SARIF_PATH", sarif, "SPLX_DOTENV_PATH", filepath.Join(dir, "splx-probe.env")}, tt.env...)...)
			if tt.name == "no verdict, no file" {
				api = newAPI(t, probetest.WithSteps(0), probetest.WithProbes(probetest.Probe{ID: 1, Name: "Jailbreak", Total: 10, Failed: 1, Errors: 5}))
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
			if !strings.Contains(string(s), `"uri": "`+tt.location+`"`) {
				t.Errorf("SARIF does not point at %s:\n%s", tt.location, s)
			}
		})
	}
}
