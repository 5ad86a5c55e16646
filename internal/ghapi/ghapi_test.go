package ghapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/rest"
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

// TestTokenStaysOnTheHost: a redirect to another host is refused in
// GitHub's words, and that host never sees the token.
func TestTokenStaysOnTheHost(t *testing.T) {
	t.Parallel()
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
	}))
	t.Cleanup(other.Close)
	c := client(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/moved", http.StatusFound)
	})
	_, err := c.CreateComment(context.Background(), "o/r", 1, "x")
	const want = "create comment: refused to follow GitHub's answer to another host: the token is only sent to GITHUB_API_URL"
	if !errors.Is(err, rest.ErrOtherHost) || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	if elsewhere.Load() != 0 {
		t.Errorf("the other host got %d requests", elsewhere.Load())
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
		_, err := c.CreateComment(context.Background(), "o/r", 1, "x")
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

// TestUpsertStopsAtItsComment: the listing stops at the page that holds
// the token's own comment (one page when it is first), still finds one on a
// later page, and past the page limit creates a new comment and says so.
func TestUpsertStopsAtItsComment(t *testing.T) {
	t.Parallel()
	const marker = "<!-- m -->"
	tests := []struct {
		name          string
		pages         int
		own           int // the page of the token's own comment, 0 for none
		planted       int // the page of someone else's comment with the marker
		gets          int
		method        string
		created, past bool
	}{
		{"own comment first", 10, 1, 0, 1, http.MethodPatch, false, false},
		{"own comment on page 3", 10, 3, 1, 3, http.MethodPatch, false, false},
		{"none: every page read", 4, 0, 2, 4, http.MethodPost, true, false},
		{"none within the page limit", rest.MaxPages + 10, rest.MaxPages + 5, 0, rest.MaxPages, http.MethodPost, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var gets atomic.Int32
			var write atomic.Value
			var base string
			c := client(t, func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == "/api/v3/user":
					io.WriteString(w, `{"login":"me"}`)
				case r.Method == http.MethodGet:
					gets.Add(1)
					page, _ := strconv.Atoi(r.URL.Query().Get("page"))
					page = max(page, 1)
					if page < tt.pages {
						w.Header().Set("Link", fmt.Sprintf(`<%s/api/v3/repos/o/r/issues/5/comments?per_page=100&page=%d>; rel="next"`, base, page+1))
					}
					var cs []string
					for i := range 100 {
						body, login := "a comment", "someone"
						if i == 50 && page == tt.own {
							body, login = marker+" ours", "me"
						}
						if i == 10 && page == tt.planted {
							body, login = marker+" planted", "mallory"
						}
						cs = append(cs, fmt.Sprintf(`{"id":%d,"body":%q,"user":{"login":%q}}`, page*1000+i, body, login))
					}
					io.WriteString(w, "["+strings.Join(cs, ",")+"]")
				default:
					write.Store(r.Method + " " + r.URL.Path)
					io.WriteString(w, `{"id":1,"body":"x"}`)
				}
			})
			base = strings.TrimSuffix(c.rest.URL(nil).String(), "/api/v3")
			done, err := c.UpsertComment(context.Background(), "o/r", 5, marker, marker+"\nverdict")
			if err != nil {
				t.Fatal(err)
			}
			if int(gets.Load()) != tt.gets || done.Pages != tt.gets {
				t.Errorf("%d pages requested (%d counted), want %d", gets.Load(), done.Pages, tt.gets)
			}
			wantWrite := tt.method + " /api/v3/repos/o/r/issues/5/comments"
			if tt.method == http.MethodPatch {
				wantWrite = fmt.Sprintf("PATCH /api/v3/repos/o/r/issues/comments/%d", tt.own*1000+50)
			}
			if got, _ := write.Load().(string); got != wantWrite {
				t.Errorf("wrote %q, want %q", got, wantWrite)
			}
			if done.Created != tt.created || done.PastLimit != tt.past || done.Ignored != min(tt.planted, 1) {
				t.Errorf("upserted %+v", done)
			}
		})
	}
}

// TestIdentityOfAnApp: an installation token that may not read /user asks
// GraphQL's viewer beside the REST API (/graphql on api.github.com,
// /api/graphql on GHES), with the token, and takes its bot's login; when
// GraphQL gives none it is the workflow's GITHUB_TOKEN.
func TestIdentityOfAnApp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, base, graphql, answer, want string
	}{
		{"app on github.com", "", "/graphql", `{"data":{"viewer":{"login":"splx-reviewer[bot]"}}}`, "splx-reviewer[bot]"},
		{"app on GHES", "/api/v3", "/api/graphql", `{"data":{"viewer":{"login":"splx-reviewer[bot]"}}}`, "splx-reviewer[bot]"},
		{"GraphQL error", "/api/v3", "/api/graphql", `{"errors":[{"message":"Resource not accessible by integration"}]}`, GitHubActionsBot},
		{"not JSON", "", "/graphql", `<html>`, GitHubActionsBot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var asked []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				asked = append(asked, r.Method+" "+r.URL.Path+" "+string(body))
				if r.Header.Get("Authorization") != "Bearer gh-token" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				if r.URL.Path == tt.graphql {
					io.WriteString(w, tt.answer)
					return
				}
				w.WriteHeader(http.StatusForbidden)
				io.WriteString(w, `{"message":"Resource not accessible by integration"}`)
			}))
			t.Cleanup(srv.Close)
			u, _ := url.Parse(srv.URL + tt.base)
			got, err := New(u, "gh-token", "test-agent", 5*time.Second).Identity(context.Background())
			if err != nil || got != tt.want {
				t.Errorf("identity %q, %v; want %q", got, err, tt.want)
			}
			want := []string{"GET " + tt.base + "/user ", "POST " + tt.graphql + ` {"query":"query{viewer{login}}"}`}
			if strings.Join(asked, "\n") != strings.Join(want, "\n") {
				t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(asked, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
