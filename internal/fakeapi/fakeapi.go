// Package fakeapi is a fake SPLX Probe Platform API on 127.0.0.1: the demo
// runs against it (so it ships in the binary), and so do the tests.
//
// It serves the documented operations, checks X-Api-Key, answers 401
// with the documented body, moves each run through PENDING, RUNNING and a
// final status with per-probe counts, records every request, and can be told
// to misbehave: any status code, delays, Retry-After, broken bodies, hung or
// reset connections.
package fakeapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Operation names, used to aim faults at one endpoint.
const (
	OpTrigger = "trigger"
	// OpWorkspaceTrigger is POST /api/workspaces/{workspaceId}/test-run/trigger,
	// the path of the vendor's newer CI templates.
	OpWorkspaceTrigger = "workspace-trigger"
	OpStatus           = "status"
	OpReport           = "report"
	OpCancel           = "cancel"
	OpModels           = "models"
)

// Probe is a probe the fake knows, with the outcome its runs reach.
type Probe struct {
	ID     int32
	Name   string
	Total  int64
	Failed int64
	Errors int64
	// RunProbeID, when set, is the probeId its probe runs report instead of
	// ID (another id space, or repeated ids); NullID reports null.
	RunProbeID int64
	NullID     bool
	// Dropped probes get no probe run at all.
	Dropped bool
	// Unprocessed test cases are never processed, even when the run
	// finishes; Unclassified ones are processed but counted as neither
	// passed, failed nor errors.
	Unprocessed, Unclassified int64
}

// DefaultProbes are the probes a fresh fake knows.
func DefaultProbes() []Probe {
	return []Probe{
		{ID: 1, Name: "Jailbreak", Total: 125, Failed: 3},
		{ID: 2, Name: "Context Leakage", Total: 80, Failed: 0, Errors: 1},
		{ID: 3, Name: "Prompt Injection", Total: 100, Failed: 0},
		{ID: 4, Name: "Toxicity", Total: 60, Failed: 12},
	}
}

// Fault makes the fake misbehave on the next matching request(s).
type Fault struct {
	// Op is the operation it applies to (OpTrigger, ...).
	Op string
	// Times is how many requests it applies to; 0 means 1.
	Times int
	// Status and Body replace the answer; Header entries are added.
	Status int
	Body   string
	Header map[string]string
	// Delay holds the answer back; Hang holds it until the client gives up.
	Delay time.Duration
	Hang  bool
	// Reset closes the connection without an answer.
	Reset bool
	// BodySize, when set, streams that many bytes of an endless JSON string.
	BodySize int64
	// Act makes a trigger create its run before the fault answers, the way
	// a server that fails after acting would.
	Act bool
}

// Request is a request the fake received.
type Request struct {
	// Received is when the request's headers had arrived.
	Received time.Time
	Method   string
	Path     string
	Header   http.Header
	Body     string
}

// Server is the fake API. Its zero value is not usable: call NewServer.
//
// It is a plain http.Server rather than an httptest.Server so that the demo,
// which ships in the binary, does not link the test packages.
type Server struct {
	// URL is the base URL of the fake, http://127.0.0.1:port.
	URL string
	srv *http.Server

	mu       sync.Mutex
	token    string
	probes   map[int32]Probe
	runs     map[int32]*run
	nextID   int32
	requests []Request
	faults   []*Fault
	// steps is how many status polls a run takes to finish after
	// its first (PENDING) poll.
	steps int
	final string
	// workspace, when set, is the workspace id the workspace-scoped trigger
	// path accepts; documented says whether the documented path exists.
	workspace  string
	documented bool
	// running, when set, replaces the PENDING and RUNNING status words
	// (nil serves null).
	running   *any
	processed bool
	readLag   int
	reportLag int
}

type run struct {
	id     int32
	target int32
	probes []Probe
	polls  int
	status string
	// lag and reportLag count the 404s still to answer for the run's status
	// and its report.
	lag, reportLag int
}

// Option configures the fake.
type Option func(*Server)

// WithToken sets the accepted token (default "test-token").
func WithToken(t string) Option { return func(s *Server) { s.token = t } }

// WithSteps sets how many RUNNING polls a run goes through (default 3).
func WithSteps(n int) Option { return func(s *Server) { s.steps = n } }

// WithFinalStatus sets the status runs end in (default FINISHED).
func WithFinalStatus(st string) Option { return func(s *Server) { s.final = st } }

// WithWorkspace makes the workspace-scoped trigger path accept workspace id
// (other ids get 403); without it that path is 404, as it would be on a
// server that only has the documented one.
func WithWorkspace(id string) Option { return func(s *Server) { s.workspace = id } }

// WithoutDocumentedTrigger makes the documented trigger path answer 404, as
// a service that only has the workspace-scoped path would.
func WithoutDocumentedTrigger() Option { return func(s *Server) { s.documented = false } }

// WithRunningStatus serves v (nil: null, "": empty, or any unknown word) as
// the run's status while it is pending or running.
func WithRunningStatus(v any) Option { return func(s *Server) { s.running = &v } }

// WithProcessedCount adds processedCount to every probe run, as the
// detailed probe-run document has it.
func WithProcessedCount() Option { return func(s *Server) { s.processed = true } }

// WithReadLag makes the first n status polls of each new run answer 404,
// as a service whose reads lag behind its writes would.
func WithReadLag(n int) Option { return func(s *Server) { s.readLag = n } }

// WithReportLag makes the first n report downloads of each finished run
// answer 400 "not ready".
func WithReportLag(n int) Option { return func(s *Server) { s.reportLag = n } }

// WithProbes replaces the known probes.
func WithProbes(ps ...Probe) Option {
	return func(s *Server) {
		s.probes = map[int32]Probe{}
		for _, p := range ps {
			s.probes[p.ID] = p
		}
	}
}

// NewServer starts a fake API on 127.0.0.1. Close it when done.
func NewServer(opts ...Option) *Server {
	s := &Server{token: "test-token", runs: map[int32]*run{}, nextID: 1000, steps: 3, final: "FINISHED", documented: true}
	WithProbes(DefaultProbes()...)(s)
	for _, o := range opts {
		o(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("fakeapi: listen on 127.0.0.1: %v", err))
	}
	s.URL = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s
}

// Close stops the fake and ends every request still being served.
func (s *Server) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if s.srv.Shutdown(ctx) != nil {
		_ = s.srv.Close()
	}
}

// Fail queues a fault. Faults apply in the order queued.
func (s *Server) Fail(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times == 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, &f)
}

// AddRun creates a run directly, as if triggered elsewhere, and returns its id.
func (s *Server) AddRun(target int32, probeIDs ...int32) int32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addRunLocked(target, probeIDs)
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Count returns how many requests hit the operation.
func (s *Server) Count(op string) int {
	n := 0
	for _, r := range s.Requests() {
		if opOf(r.Method, r.Path) == op {
			n++
		}
	}
	return n
}

// Runs returns how many runs were created.
func (s *Server) Runs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.runs)
}

// RunStatus returns a run's current status ("" when unknown).
func (s *Server) RunStatus(id int32) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.runs[id]; ok {
		return r.status
	}
	return ""
}

func (s *Server) addRunLocked(target int32, probeIDs []int32) int32 {
	s.nextID++
	r := &run{id: s.nextID, target: target, status: "PENDING", lag: s.readLag, reportLag: s.reportLag}
	for _, id := range probeIDs {
		p, ok := s.probes[id]
		if !ok {
			p = Probe{ID: id, Name: "Probe " + strconv.Itoa(int(id)), Total: 50}
		}
		r.probes = append(r.probes, p)
	}
	s.runs[r.id] = r
	return r.id
}

// opOf maps a request to its operation.
func opOf(method, path string) string {
	switch {
	case method == http.MethodPost && path == "/api/v2/test-run/trigger":
		return OpTrigger
	case method == http.MethodPost && strings.HasPrefix(path, "/api/workspaces/") && strings.HasSuffix(path, "/test-run/trigger"):
		return OpWorkspaceTrigger
	case method == http.MethodGet && path == "/api/v2/benchmarks/models":
		return OpModels
	case method == http.MethodGet && strings.HasPrefix(path, "/api/v2/test-run/"):
		switch {
		case strings.HasSuffix(path, "/status"):
			return OpStatus
		case strings.HasSuffix(path, "/report"):
			return OpReport
		case strings.HasSuffix(path, "/cancel"):
			return OpCancel
		}
	}
	return ""
}

// runID reads the {id} of /api/v2/test-run/{id}/...
func runID(path string) (int32, bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/api/v2/test-run/"), "/")
	if len(parts) != 2 {
		return 0, false
	}
	n, err := strconv.ParseInt(parts[0], 10, 32)
	return int32(n), err == nil
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"message": msg, "code": code}})
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	received := time.Now()
	body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	op := opOf(req.Method, req.URL.Path)
	s.mu.Lock()
	s.requests = append(s.requests, Request{Received: received, Method: req.Method, Path: req.URL.RequestURI(), Header: req.Header.Clone(), Body: string(body)})
	var fault *Fault
	for i, f := range s.faults {
		if f.Op == op {
			fault = f
			if f.Times--; f.Times == 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			break
		}
	}
	s.mu.Unlock()

	if fault != nil {
		if fault.Act && (op == OpTrigger || op == OpWorkspaceTrigger) {
			var tr struct {
				TargetID int32   `json:"targetId"`
				ProbeIDs []int32 `json:"probeIds"`
			}
			_ = json.Unmarshal(body, &tr)
			s.AddRun(tr.TargetID, tr.ProbeIDs...)
		}
		s.serveFault(w, req, fault)
		return
	}
	if req.Header.Get("X-Api-Key") != s.token {
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "Unauthorized: Authentication is required to access this resource.")
		return
	}
	switch op {
	case OpTrigger:
		if !s.documented {
			http.NotFound(w, req)
			return
		}
		s.trigger(w, body)
	case OpWorkspaceTrigger:
		ws := strings.TrimSuffix(strings.TrimPrefix(req.URL.Path, "/api/workspaces/"), "/test-run/trigger")
		switch {
		case s.workspace == "":
			http.NotFound(w, req)
		case ws != s.workspace:
			writeError(w, http.StatusForbidden, "FORBIDDEN", "No access to this workspace.")
		default:
			s.trigger(w, body)
		}
	case OpModels:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `[{"benchmarkDate":"2026-11-01T00:00:00Z","id":1,"name":"fake-model","provider":"fake","scores":{"overall":0.9},"url":"https://example.invalid/model"}]`)
	case OpStatus, OpReport, OpCancel:
		id, _ := runID(req.URL.Path)
		s.mu.Lock()
		r, ok := s.runs[id]
		s.mu.Unlock()
		if !ok {
			writeError(w, http.StatusBadRequest, "TEST_RUN_NOT_FOUND", fmt.Sprintf("Test run %d was not found.", id))
			return
		}
		switch op {
		case OpStatus:
			s.mu.Lock()
			lag := r.lag > 0
			if lag {
				r.lag--
			}
			s.mu.Unlock()
			if lag {
				writeError(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("Test run %d was not found.", id))
				return
			}
			s.status(w, r)
		case OpReport:
			if !acceptsPDF(req.Header.Get("Accept")) {
				writeError(w, http.StatusNotAcceptable, "NOT_ACCEPTABLE", "The report is application/pdf.")
				return
			}
			s.report(w, r)
		case OpCancel:
			s.mu.Lock()
			if !isTerminal(r.status) {
				r.status = "CANCELED"
			}
			s.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		}
	default:
		http.NotFound(w, req)
	}
}

func (s *Server) serveFault(w http.ResponseWriter, req *http.Request, f *Fault) {
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-req.Context().Done():
			return
		}
	}
	if f.Hang {
		<-req.Context().Done()
		return
	}
	if f.Reset {
		if hj, ok := w.(http.Hijacker); ok {
			conn, _, err := hj.Hijack()
			if err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0)
				}
				_ = conn.Close()
			}
		}
		return
	}
	for k, v := range f.Header {
		w.Header().Set(k, v)
	}
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	if f.BodySize > 0 {
		// The start of a JSON document that never ends: only a size cap
		// stops a reader.
		_, _ = io.WriteString(w, `{"padding":"`)
		chunk := []byte(strings.Repeat("A", 32<<10))
		for n := int64(0); n < f.BodySize; n += int64(len(chunk)) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		return
	}
	_, _ = io.WriteString(w, f.Body)
}

func (s *Server) trigger(w http.ResponseWriter, body []byte) {
	var tr struct {
		TargetID           *int32  `json:"targetId"`
		ProbeIDs           []int32 `json:"probeIds"`
		Name               *string `json:"name"`
		NotifyWhenFinished *bool   `json:"notifyWhenFinished"`
		RunAIAnalysis      *bool   `json:"runAiAnalysis"`
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields() // "no other properties allowed"
	if err := dec.Decode(&tr); err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
			"message": "One or more validation errors occurred.", "code": "VALIDATION_ERROR",
			"errors": map[string][]string{"$": {err.Error()}},
		}})
		return
	}
	if tr.TargetID == nil || *tr.TargetID <= 0 || len(tr.ProbeIDs) == 0 {
		writeError(w, http.StatusBadRequest, "VALIDATION_ERROR", "targetId and probeIds are required.")
		return
	}
	s.mu.Lock()
	id := s.addRunLocked(*tr.TargetID, tr.ProbeIDs)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]int32{"testRunId": id})
}

func isTerminal(st string) bool {
	switch st {
	case "FINISHED", "CANCELED", "CANCELLED", "ERROR":
		return true
	}
	return false
}

// status advances the run by one poll and serves its document.
func (s *Server) status(w http.ResponseWriter, r *run) {
	s.mu.Lock()
	if !isTerminal(r.status) {
		r.polls++
		switch {
		case r.polls == 1:
			r.status = "PENDING"
		case r.polls-1 <= s.steps:
			r.status = "RUNNING"
		default:
			r.status = s.final
		}
	}
	doc := map[string]any{
		"testRunId":     r.id,
		"executionDate": "2026-11-27T10:00:00.000Z",
		"status":        r.status,
	}
	if s.running != nil && !isTerminal(r.status) {
		doc["status"] = *s.running
	}
	probeRuns := []map[string]any{}
	for i, p := range r.probes {
		if p.Dropped {
			continue
		}
		// Fraction of the run done: 0 while pending, k/steps while running,
		// everything once finished (partial when cancelled).
		num, den := int64(r.polls-1), int64(s.steps+1)
		switch {
		case r.status == "FINISHED":
			num, den = 1, 1
		case r.polls <= 1:
			num = 0
		}
		if num > den {
			num = den
		}
		failed, errs := p.Failed*num/den, p.Errors*num/den
		passed := (p.Total - p.Failed - p.Errors - p.Unprocessed - p.Unclassified) * num / den
		processed := failed + errs + passed + p.Unclassified*num/den
		st := "RUNNING"
		switch {
		case r.status == "PENDING":
			st = "PENDING"
		case r.status == "FINISHED":
			st = "FINISHED"
		case isTerminal(r.status):
			st = r.status
		}
		var probeID any = p.ID
		switch {
		case p.NullID:
			probeID = nil
		case p.RunProbeID != 0:
			probeID = p.RunProbeID
		}
		pr := map[string]any{
			"probeName": p.Name, "probeRunId": int64(r.id)*100 + int64(i), "probeId": probeID,
			"totalCount": p.Total, "errorCount": errs, "passedCount": passed, "failedCount": failed,
			"status": st,
		}
		if s.processed {
			pr["processedCount"] = processed
		}
		probeRuns = append(probeRuns, pr)
	}
	doc["probeRuns"] = probeRuns
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(doc)
}

func (s *Server) report(w http.ResponseWriter, r *run) {
	s.mu.Lock()
	st := r.status
	notReady := r.reportLag > 0 && isTerminal(st)
	if notReady {
		r.reportLag--
	}
	s.mu.Unlock()
	if !isTerminal(st) || notReady {
		writeError(w, http.StatusBadRequest, "TEST_RUN_NOT_COMPLETED", "The test run has not completed yet.")
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	fmt.Fprintf(w, "%%PDF-1.4\n%% fake report for test run %d\n%%%%EOF\n", r.id)
}

// acceptsPDF reports whether an Accept header takes application/pdf.
func acceptsPDF(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.TrimSpace(mt) {
		case "application/pdf", "application/*", "*/*":
			return true
		}
	}
	return false
}
