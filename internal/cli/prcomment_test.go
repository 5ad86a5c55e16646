package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/render"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// githubToken is the GitHub token of every test; like the SPLX token it may
// appear nowhere but in its own Authorization header.
const githubToken = "ghs_GITHUB-TOKEN-4c2e"

// fakeGitHub is GitHub's issue comments API on 127.0.0.1: paginated
// listings (2 per page, with Link headers), create, update, GET /user,
// GraphQL's viewer, and a status to answer everything with. Each comment
// has an author: the token writes as github-actions[bot] (GET /user
// refused, as for GITHUB_TOKEN) unless pat names a user or app a GitHub
// App's bot.
type fakeGitHub struct {
	*httptest.Server
	mu       sync.Mutex
	comments map[int64]string // by id
	authors  map[int64]string // by id
	nextID   int64
	requests []*http.Request
	failWith int
	// failHeader is added to the failWith answer.
	failHeader map[string]string
	// pat is the token's user for a personal access token ("": GITHUB_TOKEN).
	pat string
	// app is a GitHub App's bot login, for an installation token of that
	// app ("": GITHUB_TOKEN's github-actions[bot]); GraphQL's viewer names
	// it, GET /user is refused.
	app string
	// hang holds requests of this method until the client gives up;
	// hung is closed when the first arrives.
	hang string
	hung chan struct{}
}

func newGitHub(t *testing.T) *fakeGitHub {
	t.Helper()
	g := &fakeGitHub{comments: map[int64]string{}, authors: map[int64]string{}, nextID: 100, hung: make(chan struct{})}
	// Comments of other people and tools already on the pull request.
	for i := 0; i < 5; i++ {
		g.add("alice", fmt.Sprintf("an unrelated comment %d", i))
	}
	g.Server = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.Close)
	return g
}

// add puts a comment by author on the pull request and returns its id.
func (g *fakeGitHub) add(author, body string) int64 {
	g.nextID++
	g.comments[g.nextID], g.authors[g.nextID] = body, author
	return g.nextID
}

// identity is the login the token writes as.
func (g *fakeGitHub) identity() string {
	switch {
	case g.pat != "":
		return g.pat
	case g.app != "":
		return g.app
	}
	return "github-actions[bot]"
}

func (g *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	g.requests = append(g.requests, r.Clone(context.Background()))
	if g.hang != "" && r.Method == g.hang {
		select {
		case <-g.hung:
		default:
			close(g.hung)
		}
		g.mu.Unlock()
		// Only once the body is read does the server notice the client
		// going away.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
		return
	}
	defer g.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+githubToken || r.Header.Get("X-GitHub-Api-Version") != "2022-11-28" {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"message":"Bad credentials"}`)
		return
	}
	if g.failWith != 0 {
		msg := "Resource not accessible by integration"
		for k, v := range g.failHeader {
			w.Header().Set(k, v)
			msg = "API rate limit exceeded for installation ID 4242."
		}
		w.WriteHeader(g.failWith)
		fmt.Fprintf(w, `{"message":%q}`, msg)
		return
	}
	const list = "/repos/acme/chatbot/issues/17/comments"
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/user":
		if g.pat == "" {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"Resource not accessible by integration"}`)
			return
		}
		fmt.Fprintf(w, `{"login":%q}`, g.pat)
	case r.Method == http.MethodPost && r.URL.Path == "/graphql":
		var in struct{ Query string }
		json.NewDecoder(r.Body).Decode(&in)
		if strings.ReplaceAll(in.Query, " ", "") != "query{viewer{login}}" {
			fmt.Fprint(w, `{"errors":[{"message":"unexpected query"}]}`)
			return
		}
		fmt.Fprintf(w, `{"data":{"viewer":{"login":%q}}}`, g.identity())
	case r.Method == http.MethodGet && r.URL.Path == list:
		ids, page, next := testenv.Page(g.comments, r, 2)
		var out []map[string]any
		for _, id := range ids {
			out = append(out, map[string]any{"id": id, "body": g.comments[id], "user": map[string]any{"login": g.authors[id]}})
		}
		if next {
			w.Header().Set("Link", fmt.Sprintf(`<%s%s?per_page=100&page=%d>; rel="next", <%s%s?page=99>; rel="last"`, g.URL, list, page+1, g.URL, list))
		}
		json.NewEncoder(w).Encode(out)
	case r.Method == http.MethodPost && r.URL.Path == list:
		var in struct{ Body string }
		json.NewDecoder(r.Body).Decode(&in)
		g.add(g.identity(), in.Body)
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"id": g.nextID, "body": in.Body})
	case r.Method == http.MethodPatch && strings.HasPrefix(r.URL.Path, "/repos/acme/chatbot/issues/comments/"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, "/repos/acme/chatbot/issues/comments/"), 10, 64)
		if _, ok := g.comments[id]; !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if g.authors[id] != g.identity() {
			// GitHub lets a token edit only what its identity may edit;
			// the tool must not even try someone else's.
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"edited a comment of someone else"}`)
			return
		}
		var in struct{ Body string }
		json.NewDecoder(r.Body).Decode(&in)
		g.comments[id] = in.Body
		json.NewEncoder(w).Encode(map[string]any{"id": id, "body": in.Body})
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// ours returns the tool's comments (the token's, with a marker), by id.
func (g *fakeGitHub) ours() map[int64]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[int64]string{}
	for id, body := range g.comments {
		if strings.Contains(body, "<!-- splx-probe-action comment ") && g.authors[id] == g.identity() {
			out[id] = body
		}
	}
	return out
}

func (g *fakeGitHub) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.requests)
}

// prEnv is a GitHub job on pull request 17 of acme/chatbot that comments
// through gh.
func prEnv(t *testing.T, api *fakeapi.Server, gh *fakeGitHub, event string, kv ...string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	eventPath := filepath.Join(dir, "event.json")
	if err := os.WriteFile(eventPath, []byte(`{"pull_request":{"number":17}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := testenv.With(baseEnv(api), githubEnvPairs(t, dir)...)
	env = testenv.With(env, "GITHUB_EVENT_NAME", event, "GITHUB_EVENT_PATH", eventPath, "GITHUB_API_URL", gh.URL,
		"GITHUB_WORKFLOW", "red team", "GITHUB_JOB", "gate", "INPUT_GITHUB-TOKEN", githubToken, "GITHUB_RUN_ID", "4711",
		"SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_MAX_FAILED", "10")
	return testenv.With(env, kv...)
}

// TestPRComment: one comment per comment key, found again across pages by
// its hidden marker and edited; every failure is one warning and the
// verdict stands; no GitHub call off pull requests, without a token or
// with pr-comment off; the two tokens never cross.
func TestPRComment(t *testing.T) {
	t.Parallel()
	t.Run("created, then updated in place", func(t *testing.T) {
		t.Parallel()
		api := testenv.NewAPI(t, fakeapi.WithSteps(0))
		gh := newGitHub(t)
		r := invoke(t, context.Background(), prEnv(t, api, gh, "pull_request"))
		if r.code != cli.ExitOK || !strings.Contains(r.stdout, "Commented on pull request #17.") {
			t.Fatalf("exit %d\n%s", r.code, r.stdout)
		}
		first := gh.ours()
		r = invoke(t, context.Background(), prEnv(t, api, gh, "pull_request_target", "SPLX_MAX_FAILED", "", "SPLX_WAIT", "true"))
		if r.code != cli.ExitGateFailed || !strings.Contains(r.stdout, "Updated the comment on pull request #17.") {
			t.Fatalf("second run: exit %d\n%s", r.code, r.stdout)
		}
		second := gh.ours()
		if len(first) != 1 || len(second) != 1 {
			t.Fatalf("%d then %d comments, want one kept", len(first), len(second))
		}
		for id, body := range second {
			if _, ok := first[id]; !ok {
				t.Error("the second run made a new comment")
			}
			for _, want := range []string{"### ❌ SPLX Probe red team: failed", "Test run 1002", "| Jailbreak | 3 of 125 (2.4%) | 0 |", "Gate: no failed test cases allowed", "The next run of this check edits this comment (its key: red team / gate / target 42)"} {
				if !strings.Contains(body, want) {
					t.Errorf("comment lacks %q:\n%s", want, body)
				}
			}
		}
		assertTokensApart(t, api, gh)
	})

	t.Run("trigger only, then the verdict edits it", func(t *testing.T) {
		t.Parallel()
		api := testenv.NewAPI(t, fakeapi.WithSteps(0))
		gh := newGitHub(t)
		r := invoke(t, context.Background(), prEnv(t, api, gh, "pull_request", "SPLX_WAIT", "false", "SPLX_MAX_FAILED", "", "SPLX_WORKSPACE_ID", "163"))
		body := onlyComment(t, gh)
		if r.code != cli.ExitOK || !strings.Contains(body, "### ⏳ SPLX Probe red team: started, not waited for") || !strings.Contains(body, "This job does not wait for the run") || !strings.Contains(body, "[Test run 1001](https://probe.splx.ai/w/163/target/42/test-runs/1001)") {
			t.Fatalf("exit %d, comment:\n%s", r.code, body)
		}
		invoke(t, context.Background(), prEnv(t, api, gh, "pull_request"))
		if body := onlyComment(t, gh); !strings.Contains(body, "### ✅ SPLX Probe red team: passed") {
			t.Errorf("the verdict did not replace the started comment:\n%s", body)
		}
	})

	t.Run("past the page limit: a new comment, and a warning", func(t *testing.T) {
		t.Parallel()
		api := testenv.NewAPI(t, fakeapi.WithSteps(0))
		gh := newGitHub(t)
		// 2 comments a page: 50 pages hold 100 comments, and the step's own
		// comment from an earlier run comes after 120 others.
		for i := 0; i < 120; i++ {
			gh.add("alice", fmt.Sprintf("comment %d", i))
		}
		old := gh.add(gh.identity(), render.CommentMarker("red team / gate / target 42")+"\nan earlier verdict")
		r := invoke(t, context.Background(), prEnv(t, api, gh, "pull_request"))
		lists := 0
		for _, req := range gh.requests {
			if req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/issues/17/comments") {
				lists++
			}
		}
		ours := gh.ours()
		if r.code != cli.ExitOK || len(ours) != 2 || lists != 50 || !strings.Contains(r.stdout, "Commented on pull request #17 with a new comment: it has more than 5000 comments") {
			t.Fatalf("exit %d, %d comments of ours, %d pages listed:\n%s", r.code, len(ours), lists, r.stdout)
		}
		for id, body := range ours {
			if id != old && !strings.Contains(body, "### ✅ SPLX Probe red team: passed") {
				t.Errorf("the new comment lacks the verdict:\n%s", body)
			}
		}
	})

	t.Run("a matrix of two targets keeps two comments", func(t *testing.T) {
		t.Parallel()
		api := testenv.NewAPI(t, fakeapi.WithSteps(0))
		gh := newGitHub(t)
		for round := 0; round < 2; round++ {
			for _, target := range []string{"42", "43"} {
				invoke(t, context.Background(), prEnv(t, api, gh, "pull_request", "SPLX_TARGET_ID", target))
			}
		}
		if n := len(gh.ours()); n != 2 {
			t.Errorf("%d comments, want one per target", n)
		}
	})

	t.Run("many probes fold into details", func(t *testing.T) {
		t.Parallel()
		var probes []fakeapi.Probe
		for i := 1; i <= 12; i++ {
			probes = append(probes, fakeapi.Probe{ID: int32(i), Name: fmt.Sprintf("P%d <b>|x|</b>", i), Total: 10, Failed: int64(i % 2)})
		}
		api := testenv.NewAPI(t, fakeapi.WithProbes(probes...), fakeapi.WithSteps(0))
		gh := newGitHub(t)
		invoke(t, context.Background(), prEnv(t, api, gh, "pull_request", "SPLX_PROBE_IDS", probeList(12), "SPLX_MAX_FAILED", "100"))
		body := onlyComment(t, gh)
		if !strings.Contains(body, "<details><summary>6 more probes: 6 clean</summary>") || strings.Contains(body, "<b>") || !strings.Contains(body, `P1 &lt;b&gt;\|x\|&lt;/b&gt;`) {
			t.Errorf("comment:\n%s", body)
		}
	})

	t.Run("403 is one warning; the verdict stands", func(t *testing.T) {
		t.Parallel()
		for _, status := range []int{http.StatusForbidden, http.StatusNotFound, http.StatusTooManyRequests} {
			api := testenv.NewAPI(t, fakeapi.WithSteps(0))
			gh := newGitHub(t)
			gh.failWith = status
			r := invoke(t, context.Background(), prEnv(t, api, gh, "pull_request", "SPLX_MAX_FAILED", ""))
			warnings := strings.Count(r.stdout, "::warning title=Pull request comment::")
			if r.code != cli.ExitGateFailed || warnings != 1 {
				t.Errorf("HTTP %d: exit %d with %d warnings, want the gate's 1 and one warning\n%s", status, r.code, warnings, r.stdout)
			}
			if status == http.StatusForbidden && !strings.Contains(r.stdout, "pull-requests: write") {
				t.Errorf("the warning does not say what to grant:\n%s", r.stdout)
			}
		}
	})

	t.Run("no GitHub call when there is nothing to comment on", func(t *testing.T) {
		t.Parallel()
		for name, kv := range map[string][]string{
			"push event":       {"GITHUB_EVENT_NAME", "push"},
			"no token":         {"INPUT_GITHUB-TOKEN", ""},
			"pr-comment false": {"SPLX_PR_COMMENT", "false"},
			"not GitHub":       {"SPLX_PLATFORM", "plain"},
		} {
			api := testenv.NewAPI(t, fakeapi.WithSteps(0))
			gh := newGitHub(t)
			r := invoke(t, context.Background(), prEnv(t, api, gh, "pull_request", kv...))
			if r.code != cli.ExitOK || gh.count() != 0 {
				t.Errorf("%s: exit %d, %d GitHub requests, want none", name, r.code, gh.count())
			}
		}
	})
}

func onlyComment(t *testing.T, gh *fakeGitHub) string {
	t.Helper()
	ours := gh.ours()
	if len(ours) != 1 {
		t.Fatalf("%d comments, want 1", len(ours))
	}
	for _, body := range ours {
		return body
	}
	return ""
}

// assertTokensApart: the SPLX key went only to the SPLX API and the GitHub
// token only to GitHub, each in its own header; neither is in a comment.
func assertTokensApart(t *testing.T, api *fakeapi.Server, gh *fakeGitHub) {
	t.Helper()
	for _, r := range api.Requests() {
		for k, vs := range r.Header {
			if strings.Contains(strings.Join(vs, " "), githubToken) {
				t.Errorf("the GitHub token reached the SPLX API in %s", k)
			}
		}
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	for _, r := range gh.requests {
		for k, vs := range r.Header {
			if strings.Contains(strings.Join(vs, " "), testToken) {
				t.Errorf("the SPLX token reached GitHub in %s", k)
			}
		}
	}
	for _, body := range gh.comments {
		if strings.Contains(body, testToken) || strings.Contains(body, githubToken) {
			t.Error("a comment holds a token")
		}
	}
}
