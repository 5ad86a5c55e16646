package fakeapi

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/probe"
)

func client(t *testing.T, s *Server, token string) *probe.Client {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	return probe.NewClient(u, token, probe.WithSleep(func(ctx context.Context, _ time.Duration) error { return ctx.Err() }))
}

// TestRunLifecycle: the fake serves what the demo shows: a trigger, a run
// that goes PENDING, RUNNING and ends, its PDF, and a cancel; a wrong
// token is 401.
func TestRunLifecycle(t *testing.T) {
	t.Parallel()
	for _, opts := range [][]Option{
		nil,
		{WithWorkspace("163"), WithoutDocumentedTrigger(), WithProcessedCount(), WithReadLag(1), WithReportLag(1)},
		{WithFinalStatus("ERROR"), WithRunningStatus(nil)},
	} {
		s := NewServer(append([]Option{WithToken("tok"), WithSteps(2), WithProbes(DefaultProbes()...)}, opts...)...)
		c := client(t, s, "tok")
		ctx := context.Background()
		resp, err := c.TriggerTestRun(ctx, &probe.TriggerRequest{TargetID: 42, ProbeIDs: []int32{1, 4}, Name: "n"}, "163")
		if err != nil {
			t.Fatal(err)
		}
		var st *probe.TestRunStatus
		for i := 0; i < 10; i++ {
			st, err = c.TestRunStatus(ctx, resp.TestRunID)
			var er *probe.ErrorResponse
			if errors.As(err, &er) && er.StatusCode == 404 {
				continue // the read lag asked for
			}
			if err != nil {
				t.Fatal(err)
			}
			if probe.PhaseOf(st.Status).Terminal() {
				break
			}
		}
		if !probe.PhaseOf(st.Status).Terminal() || len(st.ProbeRuns) != 2 {
			t.Fatalf("run %+v did not end with two probe runs", st)
		}
		var pdf bytes.Buffer
		for i := 0; i < 3; i++ {
			if _, err = c.DownloadReport(ctx, resp.TestRunID, &pdf); err == nil {
				break
			}
		}
		if err != nil || !bytes.HasPrefix(pdf.Bytes(), []byte("%PDF")) {
			t.Errorf("report: %v %q", err, pdf.String())
		}
		if err := c.CancelTestRun(ctx, resp.TestRunID); err != nil {
			t.Error(err)
		}
		if _, err := c.BenchmarkModels(ctx); err != nil {
			t.Error(err)
		}
		if s.Runs() != 1 || s.Count(OpStatus) == 0 || len(s.Requests()) == 0 || s.RunStatus(resp.TestRunID) == "" {
			t.Error("the fake's records")
		}
		if _, err := client(t, s, "wrong").TestRunStatus(ctx, resp.TestRunID); err == nil {
			t.Error("a wrong token was accepted")
		}
		s.Close()
	}
}

// TestFaults: a fault answers in place of the endpoint as often as asked.
func TestFaults(t *testing.T) {
	t.Parallel()
	s := NewServer(WithToken("tok"), WithSteps(0))
	defer s.Close()
	id := s.AddRun(42, 1)
	c := client(t, s, "tok")
	s.Fail(Fault{Op: OpStatus, Status: 400, Body: `{"error":{"message":"bad","code":"BAD"}}`})
	var er *probe.ErrorResponse
	if _, err := c.TestRunStatus(context.Background(), id); !errors.As(err, &er) || er.StatusCode != 400 {
		t.Errorf("fault: %v", err)
	}
	s.Fail(Fault{Op: OpStatus, Header: map[string]string{"X-Test": "1"}, Delay: time.Millisecond, Body: `{"status":"FINISHED","probeRuns":[]}`})
	if _, err := c.TestRunStatus(context.Background(), id); err != nil {
		t.Errorf("a delayed answer: %v", err)
	}
	s.Fail(Fault{Op: OpStatus, Times: 50, Reset: true})
	if _, err := c.TestRunStatus(context.Background(), id); err == nil {
		t.Error("a reset connection answered")
	}
	s.Fail(Fault{Op: OpStatus, BodySize: 1 << 20})
	if _, err := c.TestRunStatus(context.Background(), id); err == nil {
		t.Error("an endless body was taken")
	}
	s.Fail(Fault{Op: OpTrigger, Act: true, Status: 502})
	if _, err := c.TriggerTestRun(context.Background(), &probe.TriggerRequest{TargetID: 42, ProbeIDs: []int32{1}}, ""); err == nil {
		t.Error("a failed trigger answered")
	}
	if s.Runs() < 2 {
		t.Error("an acting fault created no run")
	}
}
