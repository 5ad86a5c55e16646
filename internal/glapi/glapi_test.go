package glapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/splx-ai/splx-probe-action/internal/rest"
)

const token = "glpat-TEST-TOKEN-9d1e"

// TestUpsertNote: under a path prefix, the note written by the token's
// user is found on a later page and edited; a note with the marker by
// someone else, and a system note, are left alone; with none of its own
// the client creates one. Every request carries the token, and only to
// the base host.
func TestUpsertNote(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name        string
		own         bool
		wantCreated bool
	}{
		{"edits its own note", true, false},
		{"creates one", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var seen []string
			notes := []Note{
				{ID: 1, Body: "<!-- m --> by someone else", Author: User{ID: 9}},
				{ID: 2, Body: "<!-- m --> a system note", Author: User{ID: 7}, System: true},
				{ID: 3, Body: "unrelated", Author: User{ID: 7}},
			}
			if tt.own {
				notes = append(notes, Note{ID: 4, Body: "<!-- m --> old", Author: User{ID: 7}})
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				seen = append(seen, r.Method+" "+r.URL.EscapedPath()+" "+r.URL.Query().Get("page"))
				if r.Header.Get("PRIVATE-TOKEN") != token {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				const list = "/gitlab/api/v4/projects/group%2Fsub%20x/merge_requests/5/notes"
				switch {
				case r.URL.Path == "/gitlab/api/v4/user":
					fmt.Fprint(w, `{"id":7,"username":"project_1_bot"}`)
				case r.Method == http.MethodGet && r.URL.EscapedPath() == list:
					page := r.URL.Query().Get("page")
					from, to := 0, 2
					if page == "2" {
						from, to = 2, len(notes)
					} else {
						w.Header().Set("X-Next-Page", "2")
					}
					json.NewEncoder(w).Encode(notes[from:to])
				case r.Method == http.MethodPost && r.URL.EscapedPath() == list:
					w.WriteHeader(http.StatusCreated)
					fmt.Fprint(w, `{"id":10}`)
				case r.Method == http.MethodPut && r.URL.EscapedPath() == list+"/4":
					fmt.Fprint(w, `{"id":4}`)
				default:
					w.WriteHeader(http.StatusNotFound)
				}
			}))
			defer srv.Close()
			base, _ := url.Parse(srv.URL + "/gitlab/api/v4")
			got, err := New(base, token, "test", 5*time.Second).UpsertNote(context.Background(), "group/sub x", 5, "<!-- m -->", "new")
			if err != nil {
				t.Fatal(err)
			}
			if got.Created != tt.wantCreated || got.Ignored != 1 || got.Author.ID != 7 {
				t.Errorf("got %+v", got)
			}
			last := "PUT /gitlab/api/v4/projects/group%2Fsub%20x/merge_requests/5/notes/4 "
			if tt.wantCreated {
				last = "POST /gitlab/api/v4/projects/group%2Fsub%20x/merge_requests/5/notes "
			}
			want := []string{
				"GET /gitlab/api/v4/user ",
				"GET /gitlab/api/v4/projects/group%2Fsub%20x/merge_requests/5/notes ",
				"GET /gitlab/api/v4/projects/group%2Fsub%20x/merge_requests/5/notes 2",
				last,
			}
			if diff := cmp.Diff(want, seen); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRefusals: a redirect to another host is refused in GitLab's words
// (the token would go there), and GitLab's rate limit (429, or a 403 that
// says so) is told from a token that may not do this.
func TestRefusals(t *testing.T) {
	t.Parallel()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("PRIVATE-TOKEN") != "" {
			t.Errorf("the token reached another host: %s", r.URL)
		}
		fmt.Fprint(w, `[]`)
	}))
	defer other.Close()
	for _, tt := range []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
		check  func(t *testing.T, err error)
	}{
		{"a redirect to another host", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/api/v4/x", http.StatusFound)
		}, func(t *testing.T, err error) {
			const want = "list notes: refused to follow GitLab's answer to another host: the token is only sent to CI_API_V4_URL"
			if !errors.Is(err, rest.ErrOtherHost) || err.Error() != want {
				t.Errorf("err = %v, want %s", err, want)
			}
		}},
		{"429", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"message":"Retry later"}`)
		}, func(t *testing.T, err error) {
			var er *ErrorResponse
			if !errors.As(err, &er) || !er.RateLimited || er.RetryAfter != 30*time.Second || !strings.Contains(err.Error(), "HTTP 429 Too Many Requests: Retry later") {
				t.Errorf("err = %#v", err)
			}
		}},
		{"403 rate limit", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"This endpoint has been requested too many times. Rate limit exceeded."}`)
		}, func(t *testing.T, err error) {
			var er *ErrorResponse
			if !errors.As(err, &er) || !er.RateLimited {
				t.Errorf("err = %v, want rate limited", err)
			}
		}},
		{"insufficient scope", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "30") // not GitLab's sign of a limit
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token."}`)
		}, func(t *testing.T, err error) {
			var er *ErrorResponse
			if !errors.As(err, &er) || er.RateLimited || !strings.Contains(err.Error(), "HTTP 403 Forbidden: insufficient_scope: The request requires higher privileges") {
				t.Errorf("err = %v", err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(tt.answer))
			defer srv.Close()
			base, _ := url.Parse(srv.URL + "/api/v4")
			_, err := New(base, token, "test", 5*time.Second).ListNotes(context.Background(), "1", 2)
			tt.check(t, err)
		})
	}
}
