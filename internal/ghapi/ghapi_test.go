package ghapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func client(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL + "/api/v3")
	return New(u, "gh-token", "test-agent", 5*time.Second)
}

// TestRequests: each call's method, path, headers and body, on a GHES-style
// base path.
func TestRequests(t *testing.T) {
	t.Parallel()
	var seen []string
	c := client(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen = append(seen, r.Method+" "+r.URL.RequestURI()+" "+string(body))
		for h, want := range map[string]string{"Authorization": "Bearer gh-token", "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "test-agent"} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s %s: %s = %q, want %q", r.Method, r.URL.Path, h, got, want)
			}
		}
		if r.Method == http.MethodGet {
			io.WriteString(w, `[{"id":1,"body":"other"}]`)
			return
		}
		io.WriteString(w, `{"id":2,"body":"x"}`)
	})
	created, err := c.UpsertComment(context.Background(), "o/r", 5, "<!-- m -->", "<!-- m -->\nhi")
	if err != nil || !created {
		t.Fatalf("upsert: %v, created %v", err, created)
	}
	want := []string{"GET /api/v3/repos/o/r/issues/5/comments?per_page=100 ", `POST /api/v3/repos/o/r/issues/5/comments {"body":"\u003c!-- m --\u003e\nhi"}`}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}

// TestTokenStaysOnTheHost: a pagination link or a redirect to another host
// is refused, and that host never sees the token.
func TestTokenStaysOnTheHost(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		io.WriteString(w, `[]`)
	}))
	t.Cleanup(other.Close)
	for name, h := range map[string]http.HandlerFunc{
		"link": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "<"+other.URL+"/next>; rel=\"next\"")
			io.WriteString(w, `[]`)
		},
		"redirect": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/moved", http.StatusFound)
		},
	} {
		_, err := client(t, h).ListComments(context.Background(), "o/r", 1)
		if !errors.Is(err, ErrOtherHost) {
			t.Errorf("%s: %v, want ErrOtherHost", name, err)
		}
	}
	if elsewhere.Load() != 0 {
		t.Errorf("the other host got %d requests", elsewhere.Load())
	}
}

// TestErrorResponse: GitHub's message is kept, escaped, with the status.
func TestErrorResponse(t *testing.T) {
	t.Parallel()
	c := client(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"message":"Resource not accessible by integration\n::error::x"}`)
	})
	_, err := c.ListComments(context.Background(), "o/r", 1)
	var er *ErrorResponse
	if !errors.As(err, &er) || er.StatusCode != 403 || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "Resource not accessible") {
		t.Errorf("%v", err)
	}
}
