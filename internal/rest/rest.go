// Package rest is what the GitHub and GitLab clients (ghapi, glapi) share:
// JSON requests to a REST API whose token must never leave the base URL's
// scheme, host and port, answers read up to a cap, listings followed page
// by page, and error bodies kept as untrusted text.
//
// The token is sent only in its own header, only to the base URL's host: a
// redirect or a pagination link elsewhere is refused before any request
// goes there.
package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/escape"
)

// MaxBody caps what is read of one answer; MaxPages, how far a listing is
// followed.
const (
	MaxBody  = 8 << 20
	MaxPages = 50
)

// ErrOtherHost is a redirect or a link to another host, which would carry
// the token there. The error a Client returns names the platform and its
// base URL's variable, and matches ErrOtherHost with errors.Is.
var ErrOtherHost = errors.New("refused to follow the answer to another host")

// ErrRedirectLoop is more than 3 redirects on the API's own host; the error
// a Client returns names the platform, and matches it with errors.Is.
var ErrRedirectLoop = errors.New("stopped after 3 redirects")

// platformError is ErrOtherHost or ErrRedirectLoop in the platform's words.
type platformError struct {
	kind error
	msg  string
}

func (e *platformError) Error() string { return e.msg }
func (e *platformError) Unwrap() error { return e.kind }

// Config describes one platform's API and how to reach it.
type Config struct {
	// API names the platform in messages ("GitHub"), Variable the setting
	// that holds the base URL ("GITHUB_API_URL").
	API, Variable string
	// Base is the API's URL, which may carry a path prefix.
	Base *url.URL
	// AuthHeader carries AuthValue, the token as the platform wants it.
	AuthHeader, AuthValue string
	UserAgent             string
	// Timeout bounds each request, redirects and body included.
	Timeout time.Duration
	// Header is sent with every request (Accept, an API version).
	Header http.Header
	// PageHeader, if set, numbers the next page of a listing on the URL
	// just asked ("X-Next-Page"); it wins over the Link header.
	PageHeader string
	// RateLimited tells the platform's rate limit from a refusal in an
	// answer other than 2xx (nil: never).
	RateLimited func(status int, h http.Header, message string) bool
}

// Client sends requests to one platform's API. Create it with New.
type Client struct {
	cfg             Config
	http            *http.Client
	otherHost, loop error
}

// New returns a client for the API that cfg describes.
func New(cfg Config) *Client {
	c := &Client{
		cfg: cfg,
		otherHost: &platformError{ErrOtherHost, fmt.Sprintf("refused to follow %s's answer to another host: the token is only sent to %s",
			cfg.API, cfg.Variable)},
		loop: &platformError{ErrRedirectLoop, fmt.Sprintf("stopped after 3 redirects on %s's host; check %s and any proxy in front of it",
			cfg.Variable, cfg.Variable)},
	}
	c.http = &http.Client{Timeout: cfg.Timeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if !c.sameHost(req.URL) {
			return c.otherHost
		}
		if len(via) >= 3 {
			return c.loop
		}
		return nil
	}}
	return c
}

// ErrorResponse is an answer other than 2xx. Message comes from the
// platform's JSON error body; it is untrusted text, escaped when shown.
type ErrorResponse struct {
	Op         string
	StatusCode int
	Message    string
	// RateLimited is an answer the platform's rule (Config.RateLimited)
	// takes for its rate limit: not a missing permission.
	RateLimited bool
	// RetryAfter is when the platform said to come back (0: not said).
	RetryAfter time.Duration
}

func (e *ErrorResponse) Error() string {
	s := fmt.Sprintf("%s: HTTP %d %s", e.Op, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		s += ": " + escape.Line(e.Message, 200)
	}
	return s
}

// errorMessage reads an error body: {"message": "..."} (GitHub, GitLab), a
// message that is an object of field errors (GitLab), or an OAuth-style
// {"error": ..., "error_description": ...}.
func errorMessage(data []byte) string {
	var doc struct {
		Message     json.RawMessage `json:"message"`
		Error       string          `json:"error"`
		Description string          `json:"error_description"`
	}
	if json.Unmarshal(data, &doc) != nil {
		return ""
	}
	var s string
	switch {
	case json.Unmarshal(doc.Message, &s) == nil:
		return s
	case len(doc.Message) > 0:
		return string(doc.Message)
	case doc.Description != "":
		return doc.Error + ": " + doc.Description
	}
	return doc.Error
}

func (c *Client) sameHost(u *url.URL) bool {
	return u.Scheme == c.cfg.Base.Scheme && strings.EqualFold(u.Host, c.cfg.Base.Host)
}

// URL is the base URL plus one path segment per argument, each escaped,
// and query.
func (c *Client) URL(query url.Values, segments ...string) *url.URL {
	u := *c.cfg.Base
	var raw, plain strings.Builder
	for _, s := range segments {
		raw.WriteString("/" + url.PathEscape(s))
		plain.WriteString("/" + s)
	}
	u.Path = strings.TrimRight(c.cfg.Base.Path, "/") + plain.String()
	u.RawPath = strings.TrimRight(c.cfg.Base.EscapedPath(), "/") + raw.String()
	u.RawQuery = query.Encode()
	return &u
}

// Do sends one request, with in as its JSON body if not nil, and decodes a
// JSON answer into out if not nil. It returns the next page's URL, if the
// answer names one.
func (c *Client) Do(ctx context.Context, op, method string, u *url.URL, in, out any) (*url.URL, error) {
	if !c.sameHost(u) {
		return nil, fmt.Errorf("%s: %w", op, c.otherHost)
	}
	var body io.Reader
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		body = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	for k, vs := range c.cfg.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set(c.cfg.AuthHeader, c.cfg.AuthValue)
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
	if err != nil {
		return nil, fmt.Errorf("%s: read the answer: %w", op, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		er := &ErrorResponse{Op: op, StatusCode: resp.StatusCode, Message: errorMessage(data)}
		if c.cfg.RateLimited != nil {
			er.RateLimited = c.cfg.RateLimited(resp.StatusCode, resp.Header, er.Message)
		}
		if n, err := strconv.ParseInt(resp.Header.Get("Retry-After"), 10, 32); err == nil && n > 0 {
			er.RetryAfter = time.Duration(n) * time.Second
		}
		return nil, er
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("%s: the answer is not %s's JSON", op, c.cfg.API)
		}
	}
	return c.next(u, resp.Header), nil
}

var linkNext = regexp.MustCompile(`<([^>]+)>\s*;\s*rel="?next"?`)

// next is the next page of a listing: PageHeader's page on the URL just
// asked (the base the user configured, whatever host the platform thinks
// it has), else the Link header's rel="next", which Do checks for the host.
func (c *Client) next(u *url.URL, h http.Header) *url.URL {
	if c.cfg.PageHeader != "" {
		if n, err := strconv.Atoi(h.Get(c.cfg.PageHeader)); err == nil && n > 0 {
			next := *u
			q := next.Query()
			q.Set("page", strconv.Itoa(n))
			next.RawQuery = q.Encode()
			return &next
		}
	}
	m := linkNext.FindStringSubmatch(h.Get("Link"))
	if m == nil {
		return nil
	}
	next, err := url.Parse(m[1])
	if err != nil {
		return nil
	}
	return next
}

// Pages reads a listing from first, page by page: each page is decoded
// into a []T and given to found, until found reports true, the pages end,
// or MaxPages pages were read. It returns how many pages it read and
// whether more were left unread.
func Pages[T any](ctx context.Context, c *Client, op string, first *url.URL, found func([]T) bool) (pages int, more bool, err error) {
	for next := first; next != nil; {
		if pages == MaxPages {
			return pages, true, nil
		}
		var page []T
		if next, err = c.Do(ctx, op, http.MethodGet, next, nil, &page); err != nil {
			return pages, false, err
		}
		pages++
		if found(page) {
			return pages, next != nil, nil
		}
	}
	return pages, false, nil
}
