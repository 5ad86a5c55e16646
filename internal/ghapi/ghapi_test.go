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
		switch {
		case r.URL.Path == "/api/v3/user":
			io.WriteString(w, `{"login":"me"}`)
			return
		case r.Method == http.MethodGet:
			io.WriteString(w, `[{"id":1,"body":"other","user":{"login":"me"}},{"id":3,"body":"<!-- m --> planted","user":{"login":"mallory"}}]`)
			return
		}
		io.WriteString(w, `{"id":2,"body":"x"}`)
	})
	done, err := c.UpsertComment(context.Background(), "o/r", 5, "<!-- m -->", "<!-- m -->\nhi")
	if err != nil || !done.Created || done.Author != "me" || done.Ignored != 1 {
		t.Fatalf("upsert: %v, %+v", err, done)
	}
	want := []string{"GET /api/v3/user ", "GET /api/v3/repos/o/r/issues/5/comments?per_page=100 ", `POST /api/v3/repos/o/r/issues/5/comments {"body":"\u003c!-- m --\u003e\nhi"}`}
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

// TestRateLimits: a 403 or 429 that is a primary or secondary rate limit is
// told apart from a missing permission.
func TestRateLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		header  map[string]string
		message string
		want    bool
	}{
		{"primary", 403, map[string]string{"X-RateLimit-Remaining": "0"}, "API rate limit exceeded for installation ID 1.", true},
		{"secondary with Retry-After", 403, map[string]string{"Retry-After": "60"}, "slow down", true},
		{"secondary by message", 403, nil, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", true},
		{"429", 429, map[string]string{"Retry-After": "5"}, "", true},
		{"permission", 403, map[string]string{"X-RateLimit-Remaining": "4999"}, "Resource not accessible by integration", false},
	}
	for _, tt := range tests {
		c := client(t, func(w http.ResponseWriter, r *http.Request) {
			for k, v := range tt.header {
				w.Header().Set(k, v)
			}
			w.WriteHeader(tt.status)
			io.WriteString(w, `{"message":"`+tt.message+`"}`)
		})
		_, err := c.ListComments(context.Background(), "o/r", 1)
		var er *ErrorResponse
		if !errors.As(err, &er) || er.RateLimited != tt.want {
			t.Errorf("%s: %v, rate limited %v, want %v", tt.name, err, er != nil && er.RateLimited, tt.want)
		}
	}
}

// TestIdentity: a personal access token names its user; an installation
// token that may not read /user writes as github-actions[bot]; a rate limit
// is not taken for that.
func TestIdentity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
		header string
		body   string
		want   string
		err    bool
	}{
		{"personal access token", 200, "", `{"login":"octocat"}`, "octocat", false},
		{"GITHUB_TOKEN", 403, "", `{"message":"Resource not accessible by integration"}`, GitHubActionsBot, false},
		{"rate limited", 403, "0", `{"message":"API rate limit exceeded"}`, "", true},
		{"rejected", 401, "", `{"message":"Bad credentials"}`, "", true},
	}
	for _, tt := range tests {
		c := client(t, func(w http.ResponseWriter, r *http.Request) {
			if tt.header != "" {
				w.Header().Set("X-RateLimit-Remaining", tt.header)
			}
			w.WriteHeader(tt.status)
			io.WriteString(w, tt.body)
		})
		got, err := c.Identity(context.Background())
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("%s: %q, %v", tt.name, got, err)
		}
	}
}

// TestRedirectLoop: redirects on GitHub's own host that never end are a
// loop, not "another host".
func TestRedirectLoop(t *testing.T) {
	t.Parallel()
	c := client(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
	})
	_, err := c.ListComments(context.Background(), "o/r", 1)
	if !errors.Is(err, ErrRedirectLoop) || errors.Is(err, ErrOtherHost) {
		t.Errorf("%v, want ErrRedirectLoop", err)
	}
}
