// Package gitlabtest is a fake of GitLab's merge request notes API for the
// tests of the merge request note: it serves on 127.0.0.1 under a relative
// URL root (a self-managed instance's), lists notes two per page (with
// X-Next-Page and Link), creates and updates them, answers GET /user, and
// refuses what GitLab would.
package gitlabtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// The fake's constants: the token it accepts (in PRIVATE-TOKEN), where it
// serves the API, the project and merge request whose notes it keeps, and
// the id of the token's user.
const (
	Token     = "glpat-GITLAB-TOKEN-8b1d"
	Prefix    = "/gitlab/api/v4"
	ProjectID = "5"
	MRIID     = "9"
	UserID    = 77
)

// Server is the fake GitLab. Its notes start with three by another user
// and a system note.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	notes    map[int64]*note
	nextID   int64
	requests []*http.Request
	failWith int
}

// Start starts a fake GitLab that stops when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	g := &Server{notes: map[int64]*note{}, nextID: 500}
	for i := 0; i < 3; i++ {
		g.add(3, fmt.Sprintf("an unrelated note %d", i))
	}
	g.add(1, "added 1 commit").system = true
	g.Server = httptest.NewServer(http.HandlerFunc(g.serve))
	t.Cleanup(g.Close)
	return g
}

// APIURL is the fake's CI_API_V4_URL.
func (g *Server) APIURL() string { return g.URL + Prefix }

// Add puts a note by the user author on the merge request.
func (g *Server) Add(author int64, body string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.add(author, body)
}

// note is one note as the fake keeps it, by id.
type note struct {
	author int64
	body   string
	system bool
}

func (g *Server) add(author int64, body string) *note {
	g.nextID++
	n := &note{author: author, body: body}
	g.notes[g.nextID] = n
	return n
}

// FailWith makes every request with the right token answer status (429
// with a Retry-After of 60 s).
func (g *Server) FailWith(status int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failWith = status
}

func (g *Server) serve(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.requests = append(g.requests, r.Clone(context.Background()))
	if r.Header.Get("PRIVATE-TOKEN") != Token {
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
	list := Prefix + "/projects/" + ProjectID + "/merge_requests/" + MRIID + "/notes"
	switch {
	case r.Method == http.MethodGet && r.URL.Path == Prefix+"/user":
		fmt.Fprintf(w, `{"id":%d,"username":"project_5_bot_3f2a"}`, UserID)
	case r.Method == http.MethodGet && r.URL.Path == list:
		ids, page, next := testenv.Page(g.notes, r, 2)
		out := []map[string]any{}
		for _, id := range ids {
			n := g.notes[id]
			out = append(out, map[string]any{"id": id, "body": n.body, "system": n.system, "author": map[string]any{"id": n.author, "username": fmt.Sprint("user", n.author)}})
		}
		if next {
			w.Header().Set("X-Next-Page", strconv.Itoa(page+1))
			w.Header().Set("Link", fmt.Sprintf(`<%s%s?page=%d&per_page=100>; rel="next"`, g.URL, list, page+1))
		}
		_ = json.NewEncoder(w).Encode(out)
	case r.Method == http.MethodPost && r.URL.Path == list:
		var in struct{ Body string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		g.add(UserID, in.Body)
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"id": g.nextID, "body": in.Body})
	case r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, list+"/"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, list+"/"), 10, 64)
		n, ok := g.notes[id]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		if n.author != UserID {
			// GitLab lets a user edit only their own notes; the tool must
			// not even try someone else's.
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"403 Forbidden"}`)
			return
		}
		var in struct{ Body string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		n.body = in.Body
		_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "body": in.Body})
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"message":"404 Not Found"}`)
	}
}

// Ours returns the tool's notes (the token's user's, with the tool's
// marker), by id.
func (g *Server) Ours() map[int64]string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[int64]string{}
	for id, n := range g.notes {
		if strings.Contains(n.body, "<!-- splx-probe-action comment ") && n.author == UserID {
			out[id] = n.body
		}
	}
	return out
}

// Note is one note as Notes returns it.
type Note struct {
	ID, Author int64
	Body       string
}

// Notes returns every note, oldest first.
func (g *Server) Notes() []Note {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []Note
	for id, n := range g.notes {
		out = append(out, Note{ID: id, Author: n.author, Body: n.body})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Requests returns the requests received so far.
func (g *Server) Requests() []*http.Request {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]*http.Request(nil), g.requests...)
}
