package probe

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// setup starts a server with handler and a client for it whose retries do
// not sleep but record their waits.
func setup(t *testing.T, handler http.HandlerFunc, opts ...Option) (*Client, *[]time.Duration) {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	var mu sync.Mutex
	var waits []time.Duration
	c := NewClient(u, "tok", append([]Option{WithUserAgent("test-agent"), WithSleep(func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		return nil
	})}, opts...)...)
	return c, &waits
}

func TestTriggerTestRun(t *testing.T) {
	t.Parallel()
	c, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/v2/test-run/trigger" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		for h, want := range map[string]string{"X-Api-Key": "tok", "Content-Type": "application/json", "Accept": "application/json", "User-Agent": "test-agent"} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s = %q, want %q", h, got, want)
			}
		}
		body, _ := io.ReadAll(r.Body)
		if want := `{"targetId":7,"probeIds":[1,2],"name":"n","notifyWhenFinished":true,"runAiAnalysis":false}`; string(body) != want {
			t.Errorf("body %s", body)
		}
		io.WriteString(w, `{"testRunId": 99, "extra": "ignored"}`)
	})
	got, err := c.TriggerTestRun(context.Background(), &TriggerRequest{TargetID: 7, ProbeIDs: []int32{1, 2}, Name: "n", NotifyWhenFinished: true}, "")
	if err != nil || got.TestRunID != 99 {
		t.Fatalf("got %+v, %v", got, err)
	}
}

func TestErrorResponse(t *testing.T) {
	t.Parallel()
	c, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":{"message":"Unauthorized: Authentication is required to access this resource.","code":"UNAUTHORIZED"}}`)
	})
	_, err := c.TestRunStatus(context.Background(), 5)
	var er *ErrorResponse
	if !errors.As(err, &er) || !er.Unauthorized() || er.Code != "UNAUTHORIZED" {
		t.Fatalf("err = %v", err)
	}
	if want := "read test run status: HTTP 401 Unauthorized (UNAUTHORIZED): Unauthorized: Authentication is required to access this resource."; err.Error() != want {
		t.Errorf("message %q", err.Error())
	}
}

// TestStatusDecoding: the answer decodes the same whether its shape is
// recorded (doctor, debug) or not (decoded from the connection, no copy).
func TestStatusDecoding(t *testing.T) {
	t.Parallel()
	for _, shapes := range []bool{false, true} {
		testStatusDecoding(t, shapes)
	}
}

func testStatusDecoding(t *testing.T, shapes bool) {
	c, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v2/test-run/12/status" || r.Method != http.MethodGet {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		io.WriteString(w, `{"testRunId":12,"executionDate":"2025-06-22T00:33:01.127Z","status":"RUNNING","newField":{"x":1},
			"probeRuns":[{"probeName":"Jailbreak","probeRunId":123,"probeId":15,"totalCount":125,"errorCount":1,"passedCount":110,"failedCount":14,"status":"FINISHED"},{"probeName":"Bare"}]}`)
	}, WithShapes(shapes))
	st, err := c.TestRunStatus(context.Background(), 12)
	if err != nil {
		t.Fatal(err)
	}
	want := &TestRunStatus{TestRunID: 12, ExecutionDate: "2025-06-22T00:33:01.127Z", Status: "RUNNING", ProbeRuns: []Run{
		{ProbeName: "Jailbreak", ProbeRunID: 123, ProbeID: 15, TotalCount: 125, ErrorCount: 1, PassedCount: 110, FailedCount: 14, Status: "FINISHED"},
		{ProbeName: "Bare"},
	}}
	if diff := cmp.Diff(want, st, cmpopts.IgnoreFields(TestRunStatus{}, "Shape")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	wantShape := "{testRunId:number executionDate:string status:string newField:object probeRuns:array(2)} probeRuns[]:{probeName:string probeRunId:number(1/2) probeId:number(1/2) totalCount:number(1/2) errorCount:number(1/2) passedCount:number(1/2) failedCount:number(1/2) status:string(1/2)}"
	if !shapes {
		wantShape = Shape{}.String()
	}
	if got := st.Shape.String(); got != wantShape {
		t.Errorf("shape\n%s\nwant\n%s", got, wantShape)
	}
}

// TestStatusShapes: the answers the documentation allows decode, and the
// shape shows nulls, empty strings and extra counts without any value.
func TestStatusShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		status     string
		processed  []*int64
		shape      string
	}{
		{"null status, null probe id, processedCount", `{"testRunId":1,"status":null,"probeRuns":[{"probeName":"Custom","probeId":null,"processedCount":5,"totalCount":5}]}`,
			"", []*int64{ptr(int64(5))}, "{testRunId:number status:null probeRuns:array(1)} probeRuns[]:{probeName:string probeId:null processedCount:number totalCount:number}"},
		{"empty status, no probe runs", `{"status":"","probeRuns":null}`, "", nil, "{status:empty string probeRuns:null}"},
		{"no status at all", `{"testRunId":1}`, "", nil, "{testRunId:number}"},
		{"secret-looking values never shown", `{"status":"tok","probeRuns":[{"probeName":"tok-SECRET"}]}`, "***", []*int64{nil}, "{status:string probeRuns:array(1)} probeRuns[]:{probeName:string}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := setup(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, tt.body) }, WithShapes(true))
			st, err := c.TestRunStatus(context.Background(), 1)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status != tt.status || PhaseOf(st.Status) != PhaseRunning {
				t.Errorf("status %q (phase %v)", st.Status, PhaseOf(st.Status))
			}
			var processed []*int64
			for _, pr := range st.ProbeRuns {
				processed = append(processed, pr.ProcessedCount)
			}
			if diff := cmp.Diff(tt.processed, processed); diff != "" {
				t.Errorf("processedCount (-want +got):\n%s", diff)
			}
			if got := st.Shape.String(); got != tt.shape {
				t.Errorf("shape\n%s\nwant\n%s", got, tt.shape)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestTriggerPaths: the documented path first; only a 404 or 405 moves on,
// once, to the workspace-scoped path, and only with a workspace id.
func TestTriggerPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		workspace string
		answers   map[string]int // path: status (200 answers a run)
		paths     []string
		err       string
		pathErr   bool
	}{
		{"documented path answers", "163", map[string]int{TriggerPath: 200}, []string{TriggerPath}, "", false},
		{"404 moves on", "163", map[string]int{TriggerPath: 404, "/api/workspaces/163/test-run/trigger": 200}, []string{TriggerPath, "/api/workspaces/163/test-run/trigger"}, "", false},
		{"405 moves on", "163", map[string]int{TriggerPath: 405, "/api/workspaces/163/test-run/trigger": 200}, []string{TriggerPath, "/api/workspaces/163/test-run/trigger"}, "", false},
		{"404 without workspace", "", map[string]int{TriggerPath: 404}, []string{TriggerPath}, "set workspace-id (the number in the web UI's URL, /w/163/…)", true},
		{"both 404", "163", map[string]int{TriggerPath: 404, "/api/workspaces/163/test-run/trigger": 404}, []string{TriggerPath, "/api/workspaces/163/test-run/trigger"}, "check api-url and workspace-id", false},
		{"500 is final", "163", map[string]int{TriggerPath: 500}, []string{TriggerPath}, "a test run may have been started", false},
		{"400 is final", "163", map[string]int{TriggerPath: 400}, []string{TriggerPath}, "HTTP 400", false},
		{"403 is final", "163", map[string]int{TriggerPath: 403}, []string{TriggerPath}, "HTTP 403", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var paths []string
			c, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				paths = append(paths, r.URL.Path)
				mu.Unlock()
				if st := tt.answers[r.URL.Path]; st != 200 {
					w.WriteHeader(st)
					io.WriteString(w, `{"error":{"message":"no","code":"NO"}}`)
					return
				}
				io.WriteString(w, `{"testRunId":5}`)
			})
			got, err := c.TriggerTestRun(context.Background(), &TriggerRequest{TargetID: 1, ProbeIDs: []int32{1}}, tt.workspace)
			if diff := cmp.Diff(tt.paths, paths); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
			var pe *TriggerPathError
			if errors.As(err, &pe) != tt.pathErr {
				t.Errorf("TriggerPathError: %v", err)
			}
			if tt.err == "" {
				if err != nil || got.Path != paths[len(paths)-1] {
					t.Errorf("got %+v, %v", got, err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("err %v, want %q", err, tt.err)
			}
		})
	}
}

func TestPhaseOf(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Phase{
		"FINISHED": PhaseFinished, "finished": PhaseFinished, "CANCELED": PhaseCanceled, "Cancelled": PhaseCanceled,
		"ERROR": PhaseError, "PENDING": PhaseRunning, "RUNNING": PhaseRunning, "SOMETHING_NEW": PhaseRunning, "": PhaseRunning,
	} {
		if got := PhaseOf(in); got != want {
			t.Errorf("PhaseOf(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"0": 0, "7": 7 * time.Second, "999999": 999999 * time.Second, "Thu, 01 Jan 2026 00:00:30 GMT": 30 * time.Second, "Wed, 31 Dec 2025 00:00:00 GMT": 0,
	} {
		if got, ok := parseRetryAfter(in, now); !ok || got != want {
			t.Errorf("parseRetryAfter(%q) = %v, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "soon", "-5"} {
		if _, ok := parseRetryAfter(in, now); ok {
			t.Errorf("parseRetryAfter(%q) accepted", in)
		}
	}
}

// TestGetRetries: a GET retries 5xx and honours Retry-After; backoff stays
// within its bounds.
func TestGetRetries(t *testing.T) {
	t.Parallel()
	var n int
	c, waits := setup(t, func(w http.ResponseWriter, r *http.Request) {
		n++
		switch n {
		case 1:
			w.WriteHeader(http.StatusBadGateway)
		case 2:
			w.Header().Set("Retry-After", "4")
			w.WriteHeader(http.StatusTooManyRequests)
		default:
			w.WriteHeader(http.StatusNoContent)
		}
	})
	if err := c.CancelTestRun(context.Background(), 3); err != nil {
		t.Fatal(err)
	}
	if n != 3 || len(*waits) != 2 || (*waits)[1] != 4*time.Second {
		t.Fatalf("%d requests, waits %v", n, *waits)
	}
	if w := (*waits)[0]; w < 500*time.Millisecond || w > time.Second {
		t.Errorf("first backoff %v, want between 0.5s and 1s", w)
	}
	for attempt := 1; attempt < 12; attempt++ {
		if d := c.backoff(attempt); d <= 0 || d > 30*time.Second {
			t.Errorf("backoff(%d) = %v", attempt, d)
		}
	}
}

// TestRetryWaitsAreBounded: no wait between attempts outlasts the caller's
// deadline or the client's cap; a longer Retry-After fails at once and
// names the delay.
func TestRetryWaitsAreBounded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		retryAfter string
		maxWait    time.Duration
		deadline   time.Duration
		trigger    bool
		want       string
		waits      int
	}{
		{"poll past the deadline", "3600", 0, time.Minute, false, "retry after 1h0m0s, past the timeout", 0},
		{"trigger past the deadline", "999999", 0, time.Minute, true, "retry after 277h46m39s, past the timeout", 0},
		{"trigger over the cap, no deadline", "999999", time.Minute, 0, true, "retry after 277h46m39s, longer than the 1m0s", 0},
		{"poll over the cap within the deadline", "120", time.Minute, time.Hour, false, "retry after 2m0s, longer than the 1m0s", 0},
		{"within both", "30", time.Minute, time.Hour, true, "HTTP 503", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var calls int
			var mu sync.Mutex
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				calls++
				mu.Unlock()
				w.Header().Set("Retry-After", tt.retryAfter)
				w.WriteHeader(http.StatusServiceUnavailable)
			}))
			t.Cleanup(srv.Close)
			u, _ := url.Parse(srv.URL)
			var waits []time.Duration
			c := NewClient(u, "tok", WithMaxRetryWait(tt.maxWait), WithSleep(func(_ context.Context, d time.Duration) error {
				waits = append(waits, d)
				return nil
			}))
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			var err error
			if tt.trigger {
				_, err = c.TriggerTestRun(ctx, &TriggerRequest{TargetID: 1, ProbeIDs: []int32{1}}, "")
			} else {
				_, err = c.TestRunStatus(ctx, 1)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || len(waits) != tt.waits {
				t.Errorf("err %v, waits %v; want %q and %d waits", err, waits, tt.want, tt.waits)
			}
			for _, w := range waits {
				if (tt.maxWait > 0 && w > tt.maxWait) || (tt.deadline > 0 && w > tt.deadline) {
					t.Errorf("waited %s", w)
				}
			}
			var amb *AmbiguousTriggerError
			if errors.As(err, &amb) {
				t.Errorf("a 503 with Retry-After is not ambiguous: %v", err)
			}
		})
	}
}

// TestSameHostRedirect: a redirect on the same host is followed, with the
// token; another host never sees it.
func TestSameHostRedirect(t *testing.T) {
	t.Parallel()
	c, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v2/test-run/1/status" {
			http.Redirect(w, r, "/v2-moved/status", http.StatusTemporaryRedirect)
			return
		}
		if r.Header.Get("X-Api-Key") != "tok" {
			t.Error("token lost on a same-host redirect")
		}
		io.WriteString(w, `{"testRunId":1,"status":"RUNNING"}`)
	})
	if _, err := c.TestRunStatus(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
}

func TestDownloadReport(t *testing.T) {
	t.Parallel()
	c, _ := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "application/pdf, */*" {
			t.Errorf("Accept %q", r.Header.Get("Accept"))
		}
		if r.URL.Path == "/api/v2/test-run/1/report" {
			io.WriteString(w, "%PDF-1.7 body")
			return
		}
		io.WriteString(w, `{"not":"a pdf"}`)
	})
	var b strings.Builder
	if n, err := c.DownloadReport(context.Background(), 1, &b); err != nil || n != 13 || b.String() != "%PDF-1.7 body" {
		t.Errorf("report: %d %q %v", n, b.String(), err)
	}
	if _, err := c.DownloadReport(context.Background(), 2, io.Discard); err == nil || !strings.Contains(err.Error(), "not a PDF") {
		t.Errorf("non-PDF: %v", err)
	}
}
