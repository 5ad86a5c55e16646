// Package probe is a client for the SPLX Probe Platform API: trigger a test
// run, read its status, cancel it and download its PDF report.
//
// One HTTP policy covers every call: bounded timeouts, retries only where
// they are safe (a trigger spends credits and is never sent twice unless the
// server certainly did not act on it), the token only ever sent in the
// X-Api-Key header to the configured host, and size-capped bodies.
package probe

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/grace"
	"github.com/splx-ai/splx-probe-action/internal/redact"
)

// Size caps for response bodies.
const (
	MaxJSONBody   = 4 << 20
	MaxReportBody = 256 << 20
	// maxErrorBody bounds what is read of an error answer.
	maxErrorBody = 64 << 10
)

// RetryEvent describes one retry, for the log.
type RetryEvent struct {
	Op      string
	Attempt int // the attempt that failed, from 1
	Wait    time.Duration
	Reason  string
}

// Client talks to the Platform API. Create it with NewClient.
type Client struct {
	base           *url.URL
	apiKey         string
	http           *http.Client
	userAgent      string
	requestTimeout time.Duration
	maxAttempts    int
	backoffBase    time.Duration
	backoffMax     time.Duration
	onRetry        func(RetryEvent)
	onRequest      func(method, path string, status int, took time.Duration, err error)
	maxRetryWait   time.Duration
	abortGrace     time.Duration
	redact         *redact.Redactor
	// shapes makes TestRunStatus record each answer's Shape (WithShapes).
	shapes bool
	sleep  func(context.Context, time.Duration) error
	now    func() time.Time
}

// Option configures a Client.
type Option func(*Client)

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithRequestTimeout bounds each HTTP request, body included.
func WithRequestTimeout(d time.Duration) Option {
	return func(c *Client) { c.requestTimeout = d }
}

// WithMaxRetryWait caps one wait between retries (0: no cap but the
// context's deadline). A Retry-After longer than the cap fails the call at
// once, naming the delay, instead of sleeping it.
func WithMaxRetryWait(d time.Duration) Option { return func(c *Client) { c.maxRetryWait = d } }

// WithAbortGrace lets a trigger already sent finish for up to d after its
// context is cancelled (the job being cancelled), so that the caller learns
// the id of the run the server created and can cancel it. Waits between
// retries still stop at once.
func WithAbortGrace(d time.Duration) Option { return func(c *Client) { c.abortGrace = d } }

// WithRetryLog is called before each retry with its reason.
func WithRetryLog(f func(RetryEvent)) Option { return func(c *Client) { c.onRetry = f } }

// WithRequestLog is called after every HTTP request (for debug logs). status
// is 0 when no answer came.
func WithRequestLog(f func(method, path string, status int, took time.Duration, err error)) Option {
	return func(c *Client) { c.onRequest = f }
}

// WithSleep replaces the wait between retries (tests record it instead).
func WithSleep(f func(context.Context, time.Duration) error) Option {
	return func(c *Client) { c.sleep = f }
}

// WithRedactor replaces the client's redactor (of apiKey alone), so that
// every secret of the process is removed from the API's text as it is read,
// before anything renders or escapes it.
func WithRedactor(r *redact.Redactor) Option { return func(c *Client) { c.redact = r } }

// WithShapes makes TestRunStatus record each answer's Shape. It costs a
// copy of the answer, so only a reader of the shape (doctor, debug logs)
// asks for it.
func WithShapes(on bool) Option { return func(c *Client) { c.shapes = on } }

// WithHTTPClient replaces the HTTP client. Its redirect policy is replaced
// by the client's own, which keeps the token on the configured host.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// NewClient returns a client for the API at base (e.g.
// https://api.probe.splx.ai) that authenticates with apiKey.
func NewClient(base *url.URL, apiKey string, opts ...Option) *Client {
	c := &Client{
		base:           base,
		apiKey:         apiKey,
		userAgent:      "splx-probe-action",
		requestTimeout: 60 * time.Second,
		maxAttempts:    5,
		backoffBase:    time.Second,
		backoffMax:     30 * time.Second,
		sleep:          sleepCtx,
		now:            time.Now,
		redact:         redact.New(apiKey),
	}
	for _, o := range opts {
		o(c)
	}
	if c.http == nil {
		c.http = &http.Client{Transport: NewTransport(c.requestTimeout)}
	} else {
		h := *c.http
		c.http = &h
	}
	c.http.CheckRedirect = c.checkRedirect
	return c
}

// NewTransport is the transport the client uses by default: Go's proxy
// support (HTTPS_PROXY, NO_PROXY) and system roots (SSL_CERT_FILE), with every
// phase of a connection bounded.
func NewTransport(requestTimeout time.Duration) *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: requestTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          4,
	}
}

// checkRedirect follows only redirects to the same scheme, host and port:
// Go's client would forward X-Api-Key to any host.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 3 {
		return errors.New("stopped after 3 redirects")
	}
	if req.URL.Scheme != c.base.Scheme || !strings.EqualFold(req.URL.Host, c.base.Host) {
		return ErrRedirectRefused
	}
	return nil
}

// TriggerPath is the trigger path the API reference documents; the
// vendor's newer CI templates use a workspace-scoped one (same body).
const TriggerPath = "/api/v2/test-run/trigger"

// TriggerTestRun starts a new test run. It is sent at most once unless the
// server certainly did not act on it (no connection was made, or it
// answered 429 or 503 with Retry-After). Any other failure after the request
// was sent is an *AmbiguousTriggerError.
//
// The documented path goes first. Only when it answers 404 or 405 (the
// server has no such route: nothing was created) and workspaceID is set is
// the same request sent once to the workspace-scoped path; without
// workspaceID that answer is a *TriggerPathError. The response names the
// path that answered.
func (c *Client) TriggerTestRun(ctx context.Context, req *TriggerRequest, workspaceID string) (*TriggerResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("trigger test run: %w", err)
	}
	out, err := c.trigger(ctx, TriggerPath, body)
	if !noSuchRoute(err) {
		return out, err
	}
	if workspaceID == "" {
		return nil, &TriggerPathError{Err: err}
	}
	path := "/api/workspaces/" + url.PathEscape(workspaceID) + "/test-run/trigger"
	out, err = c.trigger(ctx, path, body)
	if noSuchRoute(err) {
		return nil, fmt.Errorf("%w (POST %s answered the same as POST %s: check api-url and workspace-id)", err, path, TriggerPath)
	}
	return out, err
}

// noSuchRoute reports an answer that says the path does not exist: 404 or
// 405, neither of which creates a run.
func noSuchRoute(err error) bool {
	var er *ErrorResponse
	var amb *AmbiguousTriggerError
	return err != nil && !errors.As(err, &amb) && errors.As(err, &er) &&
		(er.StatusCode == http.StatusNotFound || er.StatusCode == http.StatusMethodNotAllowed)
}

func (c *Client) trigger(ctx context.Context, path string, body []byte) (*TriggerResponse, error) {
	var out TriggerResponse
	if err := c.doJSON(ctx, "trigger test run", http.MethodPost, path, body, &out); err != nil {
		return nil, err
	}
	if out.TestRunID <= 0 {
		// The vendor's shell templates turn this into the string "null" and
		// go on; here it is a failure, and an ambiguous one.
		return nil, &AmbiguousTriggerError{Err: errors.New("trigger test run: the answer has no testRunId")}
	}
	out.Path = path
	return &out, nil
}

// TestRunStatus reads a run's status and per-probe counts. A status that is
// null, empty or unknown is not an error: the run counts as still running
// (PhaseOf), and the wait's timeout bounds it. Shape records what the
// answer looked like.
func (c *Client) TestRunStatus(ctx context.Context, id int32) (*TestRunStatus, error) {
	const op = "read test run status"
	path := "/api/v2/test-run/" + strconv.Itoa(int(id)) + "/status"
	var out TestRunStatus
	if !c.shapes {
		// Decoded from the connection: no copy of a large answer.
		if err := c.doJSON(ctx, op, http.MethodGet, path, nil, &out); err != nil {
			return nil, err
		}
	} else {
		var raw json.RawMessage
		if err := c.doJSON(ctx, op, http.MethodGet, path, nil, &raw); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, fmt.Errorf("%s: the answer is not the documented JSON: %s", op, escape.Line(c.redact.String(err.Error()), 200))
		}
		out.Shape = ShapeOf(raw)
	}
	// Untrusted text: a server that echoes the token must not put it in a
	// report.
	out.Status, out.ExecutionDate = c.redact.String(out.Status), c.redact.String(out.ExecutionDate)
	for i := range out.ProbeRuns {
		pr := &out.ProbeRuns[i]
		pr.ProbeName, pr.Status = c.redact.String(pr.ProbeName), c.redact.String(pr.Status)
	}
	return &out, nil
}

// BenchmarkModels lists the benchmark models and returns how many there are.
// It is the only documented call that is read-only and free: it shows that
// the API answers and accepts the token without spending credits.
func (c *Client) BenchmarkModels(ctx context.Context) (int, error) {
	var out []json.RawMessage
	if err := c.doJSON(ctx, "list benchmark models", http.MethodGet, "/api/v2/benchmarks/models", nil, &out); err != nil {
		return 0, err
	}
	return len(out), nil
}

// CancelTestRun asks the platform to cancel a run; results so far are kept.
func (c *Client) CancelTestRun(ctx context.Context, id int32) error {
	path := "/api/v2/test-run/" + strconv.Itoa(int(id)) + "/cancel"
	resp, err := c.do(ctx, "cancel test run", http.MethodGet, path, nil, "*/*")
	if err != nil {
		return err
	}
	drain(resp.Body, maxErrorBody)
	return nil
}

// DownloadReport streams the PDF report of a finished run into w, up to
// MaxReportBody bytes, and returns the number of bytes written.
func (c *Client) DownloadReport(ctx context.Context, id int32, w io.Writer) (int64, error) {
	const op = "download report"
	path := "/api/v2/test-run/" + strconv.Itoa(int(id)) + "/report"
	// Every documented sample sends */*: a server that only offers that
	// must not answer 406.
	resp, err := c.do(ctx, op, http.MethodGet, path, nil, "application/pdf, */*")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	head := make([]byte, 5)
	n, _ := io.ReadFull(resp.Body, head)
	if string(head[:n]) != "%PDF-" {
		return 0, fmt.Errorf("%s: %w (starts %s)", op, ErrNotPDF, escape.Excerpt(c.redact.Bytes(head[:n]), 20))
	}
	if _, err := w.Write(head); err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	m, err := io.Copy(w, io.LimitReader(resp.Body, MaxReportBody-int64(n)+1))
	total := int64(n) + m
	if err != nil {
		return total, fmt.Errorf("%s: %w", op, err)
	}
	if total > MaxReportBody {
		return total, fmt.Errorf("%s: %w", op, &TooLargeError{Limit: MaxReportBody})
	}
	return total, nil
}

// doJSON sends a request and decodes a JSON answer of at most MaxJSONBody
// in one pass, straight from the connection.
func (c *Client) doJSON(ctx context.Context, op, method, path string, body []byte, out any) error {
	resp, err := c.do(ctx, op, method, path, body, "application/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// head keeps the start of the body for an error message.
	head := &prefixWriter{max: 512}
	cr := &capReader{r: io.TeeReader(resp.Body, head), left: MaxJSONBody}
	dec := json.NewDecoder(cr)
	err = dec.Decode(out)
	if err == nil {
		// Only white space may follow the document.
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("trailing data")
		}
	}
	switch {
	case err == nil:
	case errors.Is(err, ErrBodyTooLarge):
		err = &TooLargeError{Limit: MaxJSONBody}
	case cr.readErr != nil:
		err = fmt.Errorf("read the answer: %w", cr.readErr)
	default:
		err = fmt.Errorf("the answer is not the documented JSON (HTTP %d: %s)", resp.StatusCode, escape.Excerpt(c.redact.Bytes(head.b), 120))
	}
	if err != nil {
		err = fmt.Errorf("%s: %w", op, err)
		if method == http.MethodPost {
			return &AmbiguousTriggerError{Err: err}
		}
		return err
	}
	return nil
}

// capReader fails with ErrBodyTooLarge once more than left bytes are read,
// and remembers a transport error apart from a decoding one.
type capReader struct {
	r       io.Reader
	left    int64
	readErr error
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, ErrBodyTooLarge
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, ErrBodyTooLarge
	}
	if err != nil && err != io.EOF {
		c.readErr = err
	}
	return n, err
}

// prefixWriter keeps the first max bytes written to it.
type prefixWriter struct {
	b   []byte
	max int
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	if room := w.max - len(w.b); room > 0 {
		w.b = append(w.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// do sends one logical request, retrying where that is safe, and returns a
// 2xx response whose body the caller must close.
func (c *Client) do(ctx context.Context, op, method, path string, body []byte, accept string) (*http.Response, error) {
	for attempt := 1; ; attempt++ {
		resp, connected, err := c.once(ctx, method, path, body, accept)
		if err == nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		var status int
		var retryAfter time.Duration
		var hasRetryAfter bool
		if err == nil {
			status = resp.StatusCode
			retryAfter, hasRetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), c.now())
			err = c.errorResponse(op, resp)
		} else {
			err = fmt.Errorf("%s: %w", op, err)
		}
		fail := func(err error) error {
			if method == http.MethodPost && mayHaveActed(status, connected, hasRetryAfter) {
				return &AmbiguousTriggerError{Err: err}
			}
			return err
		}
		reason, retryable := c.retryable(ctx, method, status, hasRetryAfter, connected, err)
		if !retryable || attempt >= c.maxAttempts {
			return nil, fail(err)
		}
		wait := c.backoff(attempt)
		if hasRetryAfter {
			wait = retryAfter
		}
		if c.maxRetryWait > 0 && wait > c.maxRetryWait {
			return nil, fail(fmt.Errorf("%w (the API asked to retry after %s, longer than the %s the tool waits between attempts without wait)", err, wait, c.maxRetryWait))
		}
		if dl, ok := ctx.Deadline(); ok && c.now().Add(wait).After(dl) {
			return nil, fail(fmt.Errorf("%w (the API asked to retry after %s, past the timeout)", err, wait))
		}
		if c.onRetry != nil {
			c.onRetry(RetryEvent{Op: op, Attempt: attempt, Wait: wait, Reason: reason})
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, fail(fmt.Errorf("%w (stopped retrying: %v)", err, serr))
		}
	}
}

// mayHaveActed reports whether a failed trigger may have created a run: the
// request reached the server and the answer was neither a client error nor
// an explicit "come back later" (429 or 503 with Retry-After).
func mayHaveActed(status int, connected, hasRetryAfter bool) bool {
	switch {
	case status == 0:
		return connected
	case (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) && hasRetryAfter:
		return false
	case status >= 400 && status < 500:
		return false
	}
	return true
}

// retryable decides whether a failed attempt may be sent again.
func (c *Client) retryable(ctx context.Context, method string, status int, hasRetryAfter, connected bool, err error) (string, bool) {
	var certErr *tls.CertificateVerificationError
	if ctx.Err() != nil || errors.Is(err, ErrRedirectRefused) || errors.Is(err, ErrBodyTooLarge) || errors.As(err, &certErr) {
		// None of these gets better by asking again.
		return "", false
	}
	if method == http.MethodPost {
		switch {
		case status == 0 && !connected:
			return "could not connect: " + errorSummary(err), true
		case (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) && hasRetryAfter:
			return "HTTP " + strconv.Itoa(status) + " with Retry-After", true
		}
		return "", false
	}
	switch status {
	case 0:
		return "network error: " + errorSummary(err), true
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return "HTTP " + strconv.Itoa(status), true
	}
	return "", false
}

func errorSummary(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return escape.Line(err.Error(), 200)
}

// backoff is capped exponential backoff with jitter: between half and all
// of base*2^(attempt-1), at most max.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.backoffBase << (attempt - 1)
	if d > c.backoffMax || d <= 0 {
		d = c.backoffMax
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// once sends a single HTTP request. connected reports whether a connection
// to the server was made, which decides whether a failed trigger may have
// reached it.
func (c *Client) once(ctx context.Context, method, path string, body []byte, accept string) (resp *http.Response, connected bool, err error) {
	u := *c.base
	u.Path = c.base.Path + path
	stop := func() {}
	if method == http.MethodPost && c.abortGrace > 0 {
		// A trigger in flight is not dropped when the job is cancelled: its
		// answer names a run that would otherwise spend credits unseen.
		ctx, stop = grace.After(ctx, c.abortGrace)
	}
	rctx, cancelTimeout := context.WithTimeout(ctx, c.requestTimeout)
	cancel := func() { cancelTimeout(); stop() }
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { connected = true }}
	rctx = httptrace.WithClientTrace(rctx, trace)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(rctx, method, u.String(), rd)
	if err != nil {
		cancel()
		return nil, false, err
	}
	req.Header.Set("X-Api-Key", c.apiKey)
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := c.now()
	resp, err = c.http.Do(req)
	if c.onRequest != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		c.onRequest(method, u.Path, status, c.now().Sub(start), err)
	}
	if err != nil {
		cancel()
		return nil, connected, scrubURLError(err)
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, connected, nil
}

// scrubURLError drops the URL from *url.Error: it holds nothing secret, but
// the error reads better with the operation named by the caller.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("no answer within the request timeout: %w", ue.Err)
		}
		return ue.Err
	}
	return err
}

// cancelBody releases the request's timeout when the body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// errorResponse reads a non-2xx answer into an *ErrorResponse.
func (c *Client) errorResponse(op string, resp *http.Response) error {
	defer resp.Body.Close()
	data, _ := readCapped(resp.Body, maxErrorBody)
	er := &ErrorResponse{Op: op, StatusCode: resp.StatusCode}
	var doc struct {
		Error map[string]json.RawMessage `json:"error"`
	}
	data = c.redact.Bytes(data)
	if json.Unmarshal(data, &doc) == nil && doc.Error != nil {
		_ = json.Unmarshal(doc.Error["message"], &er.Message)
		_ = json.Unmarshal(doc.Error["code"], &er.Code)
		delete(doc.Error, "message")
		delete(doc.Error, "code")
		if len(doc.Error) > 0 {
			rest, _ := json.Marshal(doc.Error)
			er.Details = escape.Excerpt(rest, 300)
		}
	} else {
		er.Details = escape.Excerpt(data, 200)
	}
	return er
}

// readCapped reads at most max bytes; more is ErrBodyTooLarge.
func readCapped(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return data, fmt.Errorf("read the answer: %w", err)
	}
	if int64(len(data)) > max {
		return data[:max], &TooLargeError{Limit: max}
	}
	return data, nil
}

// drain reads and discards a little of a body so the connection can be
// reused, then closes it.
func drain(body io.ReadCloser, max int64) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, max))
	_ = body.Close()
}

// parseRetryAfter reads Retry-After in seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		// Kept as sent, so that a refusal can name it; capped only where a
		// Duration would overflow. Callers bound every wait.
		const maxSeconds = 1 << 32
		return time.Duration(min(n, maxSeconds)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
