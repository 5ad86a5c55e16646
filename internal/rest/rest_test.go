package rest

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
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const token = "tok-SECRET-5b1f"

// server starts h and returns a client for its API under /prefix/api.
func server(t *testing.T, h http.HandlerFunc, rule func(int, http.Header, string) bool) (*Client, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	base, err := url.Parse(srv.URL + "/prefix/api")
	if err != nil {
		t.Fatal(err)
	}
	return New(Config{
		API: "Forge", Variable: "FORGE_API_URL", Base: base,
		AuthHeader: "X-Forge-Token", AuthValue: "Token " + token,
		UserAgent: "test-agent", Timeout: 5 * time.Second,
		Header:      http.Header{"Accept": {"application/forge+json"}},
		PageHeader:  "X-Next-Page",
		RateLimited: rule,
	}), srv
}

// TestRequest: the method, the escaped path under the base's prefix, the
// query, the headers (the token in its own header) and the JSON both ways.
func TestRequest(t *testing.T) {
	t.Parallel()
	var got []string
	c, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got = append(got, r.Method+" "+r.URL.EscapedPath()+"?"+r.URL.RawQuery+" "+string(body))
		for _, h := range []string{"X-Forge-Token", "Accept", "User-Agent", "Content-Type"} {
			got = append(got, h+": "+r.Header.Get(h))
		}
		fmt.Fprint(w, `{"id":7}`)
	}, nil)
	var out struct{ ID int }
	next, err := c.Do(context.Background(), "write", http.MethodPut, c.URL(url.Values{"a": {"1 2"}}, "projects", "group/sub x", "notes"), map[string]string{"body": "<hi>"}, &out)
	if err != nil || next != nil || out.ID != 7 {
		t.Fatalf("Do: %v, next %v, out %+v", err, next, out)
	}
	want := []string{
		`PUT /prefix/api/projects/group%2Fsub%20x/notes?a=1+2 {"body":"\u003chi\u003e"}`,
		"X-Forge-Token: Token " + token,
		"Accept: application/forge+json",
		"User-Agent: test-agent",
		"Content-Type: application/json",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
}

// TestTokenStaysOnTheHost: a pagination link or a redirect to another host
// or scheme is refused before anything is sent there, redirects that never
// end on the API's own host are a loop, and the errors name the platform
// and its variable, never the token.
func TestTokenStaysOnTheHost(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var elsewhere []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		elsewhere = append(elsewhere, r.URL.Path+" token="+r.Header.Get("X-Forge-Token"))
		fmt.Fprint(w, `[]`)
	}))
	t.Cleanup(other.Close)
	const otherHost = "refused to follow Forge's answer to another host: the token is only sent to FORGE_API_URL"
	tests := []struct {
		name   string
		answer func(base string) http.HandlerFunc
		is     error
		msg    string
	}{
		{"a Link to another host", func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Link", "<"+other.URL+"/next>; rel=\"next\"")
				fmt.Fprint(w, `[]`)
			}
		}, ErrOtherHost, otherHost},
		{"a Link to the same host over https", func(base string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Link", "<"+strings.Replace(base, "http:", "https:", 1)+"/next>; rel=next")
				fmt.Fprint(w, `[]`)
			}
		}, ErrOtherHost, otherHost},
		{"a redirect to another host", func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+"/moved", http.StatusFound)
			}
		}, ErrOtherHost, otherHost},
		{"a redirect loop", func(string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
			}
		}, ErrRedirectLoop, "stopped after 3 redirects on FORGE_API_URL's host; check FORGE_API_URL and any proxy in front of it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var base string
			c, srv := server(t, func(w http.ResponseWriter, r *http.Request) { tt.answer(base)(w, r) }, nil)
			base = srv.URL
			_, _, err := Pages(context.Background(), c, "list things", c.URL(nil, "things"), func([]int) bool { return false })
			if !errors.Is(err, tt.is) || err.Error() != "list things: "+tt.msg {
				t.Errorf("err = %v, want %v: %s", err, tt.is, tt.msg)
			}
			if tt.is == ErrRedirectLoop && errors.Is(err, ErrOtherHost) {
				t.Errorf("a loop on the API's own host taken for another host: %v", err)
			}
		})
	}
	t.Cleanup(func() {
		if len(elsewhere) > 0 {
			t.Errorf("the other host got requests: %q", elsewhere)
		}
	})
}

// TestBodyCap: an answer is read up to MaxBody, so a longer one is not
// taken for the platform's JSON.
func TestBodyCap(t *testing.T) {
	t.Parallel()
	for _, size := range []int{MaxBody - 16, MaxBody + 16} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			t.Parallel()
			c, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
				fmt.Fprintf(w, `{"body":"%s"}`, strings.Repeat("a", size-len(`{"body":""}`)))
			}, nil)
			var out struct{ Body string }
			_, err := c.Do(context.Background(), "read", http.MethodGet, c.URL(nil, "big"), nil, &out)
			switch {
			case size <= MaxBody && (err != nil || len(out.Body) != size-len(`{"body":""}`)):
				t.Errorf("within the cap: %v, %d bytes", err, len(out.Body))
			case size > MaxBody && (err == nil || err.Error() != "read: the answer is not Forge's JSON"):
				t.Errorf("past the cap: %v", err)
			}
		})
	}
}

// TestPages: a listing is followed by Link or by the page header (which
// wins, on the URL just asked), stops at the page found wants, and stops
// at MaxPages saying more were left.
func TestPages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		pages      int
		byHeader   bool
		stopAt     int // the page found reports true on; 0: never
		wantPages  int
		wantMore   bool
		wantValues int
	}{
		{"one page", 1, false, 0, 1, false, 1},
		{"three pages by Link", 3, false, 0, 3, false, 3},
		{"three pages by X-Next-Page", 3, true, 0, 3, false, 3},
		{"stops at the page found", 10, false, 2, 2, true, 2},
		{"found on the last page", 3, true, 3, 3, false, 3},
		{"past MaxPages", MaxPages + 5, false, 0, MaxPages, true, MaxPages},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var asked atomic.Int32
			var base string
			c, srv := server(t, func(w http.ResponseWriter, r *http.Request) {
				asked.Add(1)
				page := max(1, atoi(r.URL.Query().Get("page")))
				if page < tt.pages {
					if tt.byHeader {
						w.Header().Set("X-Next-Page", strconv.Itoa(page+1))
						// A Link GitLab builds from its own idea of its host.
						w.Header().Set("Link", `<https://elsewhere.invalid/next>; rel="next"`)
					} else {
						w.Header().Set("Link", fmt.Sprintf(`<%s/prefix/api/things?page=%d>; rel="next"`, base, page+1))
					}
				}
				fmt.Fprintf(w, "[%d]", page)
			}, nil)
			base = srv.URL
			var values []int
			pages, more, err := Pages(context.Background(), c, "list", c.URL(url.Values{"per_page": {"1"}}, "things"), func(page []int) bool {
				values = append(values, page...)
				return page[0] == tt.stopAt
			})
			if err != nil || pages != tt.wantPages || more != tt.wantMore || len(values) != tt.wantValues || int(asked.Load()) != tt.wantPages {
				t.Errorf("%d pages (%d asked), more %v, values %v, err %v", pages, asked.Load(), more, values, err)
			}
			for i, v := range values {
				if v != i+1 {
					t.Fatalf("values %v, want 1, 2, …", values)
				}
			}
		})
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// TestErrorResponse: the status, the message of each kind of error body
// (untrusted: escaped when shown), Retry-After in seconds, and the
// platform's rate-limit rule, which sees the status, headers and message.
func TestErrorResponse(t *testing.T) {
	t.Parallel()
	rule := func(status int, h http.Header, message string) bool {
		return status == http.StatusTooManyRequests || h.Get("X-Limit") == "0" || strings.Contains(message, "rate limit")
	}
	tests := []struct {
		name    string
		status  int
		header  map[string]string
		body    string
		rule    func(int, http.Header, string) bool
		message string
		text    string
		limited bool
		after   time.Duration
	}{
		{"message", 404, nil, `{"message":"Not Found","documentation_url":"x"}`, rule,
			"Not Found", "get: HTTP 404 Not Found: Not Found", false, 0},
		{"field errors", 400, nil, `{"message":{"note":["is too long"]}}`, rule,
			`{"note":["is too long"]}`, `get: HTTP 400 Bad Request: {"note":["is too long"]}`, false, 0},
		{"OAuth error", 403, nil, `{"error":"insufficient_scope","error_description":"needs more"}`, rule,
			"insufficient_scope: needs more", "get: HTTP 403 Forbidden: insufficient_scope: needs more", false, 0},
		{"OAuth error alone", 401, nil, `{"error":"invalid_token"}`, rule,
			"invalid_token", "get: HTTP 401 Unauthorized: invalid_token", false, 0},
		{"not JSON", 502, nil, `<html>bad gateway ` + token + `</html>`, rule,
			"", "get: HTTP 502 Bad Gateway", false, 0},
		{"a hostile message", 403, nil, `{"message":"no\n::error::planted"}`, rule,
			"no\n::error::planted", `get: HTTP 403 Forbidden: no\n::error::planted`, false, 0},
		{"429 with Retry-After", 429, map[string]string{"Retry-After": "30"}, `{"message":"Retry later"}`, rule,
			"Retry later", "get: HTTP 429 Too Many Requests: Retry later", true, 30 * time.Second},
		{"a header the rule reads", 403, map[string]string{"X-Limit": "0", "Retry-After": "-1"}, `{}`, rule,
			"", "get: HTTP 403 Forbidden", true, 0},
		{"a message the rule reads", 403, map[string]string{"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, `{"message":"secondary rate limit"}`, rule,
			"secondary rate limit", "get: HTTP 403 Forbidden: secondary rate limit", true, 0},
		{"no rule", 429, nil, `{}`, nil, "", "get: HTTP 429 Too Many Requests", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := server(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			}, tt.rule)
			_, err := c.Do(context.Background(), "get", http.MethodGet, c.URL(nil, "x"), nil, nil)
			var er *ErrorResponse
			if !errors.As(err, &er) {
				t.Fatalf("err = %v, want an ErrorResponse", err)
			}
			want := ErrorResponse{Op: "get", StatusCode: tt.status, Message: tt.message, RateLimited: tt.limited, RetryAfter: tt.after}
			if diff := cmp.Diff(want, *er); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if err.Error() != tt.text {
				t.Errorf("shown as %q, want %q", err.Error(), tt.text)
			}
		})
	}
}

// TestTransportError: a request that never got an answer says what
// happened, without the URL's wrapping and without the token.
func TestTransportError(t *testing.T) {
	t.Parallel()
	c, srv := server(t, func(w http.ResponseWriter, r *http.Request) {}, nil)
	srv.Close()
	_, err := c.Do(context.Background(), "get", http.MethodGet, c.URL(nil, "x"), nil, nil)
	var ue *url.Error
	if err == nil || errors.As(err, &ue) || strings.Contains(err.Error(), token) || !strings.HasPrefix(err.Error(), "get: ") {
		t.Errorf("err = %v", err)
	}
}
