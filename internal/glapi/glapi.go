// Package glapi is a small client for the GitLab REST API's merge request
// notes: enough to keep one note on a merge request up to date instead of
// adding a new one on every pipeline. It works against GitLab.com and
// self-managed instances alike (the base URL is CI_API_V4_URL, which may
// carry a path prefix: https://git.example.com/gitlab/api/v4).
//
// The token is sent only in the PRIVATE-TOKEN header, only to the base
// URL's scheme, host and port: a redirect or a pagination link elsewhere
// is refused.
//
// The marker that finds the note again can be computed by anyone who reads
// the pipeline, so a note is only ever edited when the token's own user
// (GET /user; a project or group access token has a bot user of its own)
// wrote it.
package glapi

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

// maxBody caps what is read of one answer; maxPages, how far a listing is
// followed.
const (
	maxBody  = 8 << 20
	maxPages = 50
)

// Client talks to the GitLab REST API (v4). Create it with New.
type Client struct {
	base      *url.URL
	token     string
	http      *http.Client
	userAgent string
}

// New returns a client for the API at base (CI_API_V4_URL) that
// authenticates with token.
func New(base *url.URL, token, userAgent string, timeout time.Duration) *Client {
	c := &Client{base: base, token: token, userAgent: userAgent}
	c.http = &http.Client{Timeout: timeout, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if !c.sameHost(req.URL) {
			return ErrOtherHost
		}
		if len(via) >= 3 {
			return ErrRedirectLoop
		}
		return nil
	}}
	return c
}

// ErrOtherHost is a redirect or a link to another host, which would carry
// the token there.
var ErrOtherHost = errors.New("refused to follow GitLab's answer to another host: the token is only sent to CI_API_V4_URL")

// ErrRedirectLoop is more than 3 redirects on GitLab's own host.
var ErrRedirectLoop = errors.New("stopped after 3 redirects on CI_API_V4_URL's host; check CI_API_V4_URL and any proxy in front of it")

// ErrorResponse is an answer other than 2xx. Message comes from GitLab's
// JSON error body; it is untrusted text, escaped when shown.
type ErrorResponse struct {
	Op         string
	StatusCode int
	Message    string
	// RetryAfter is when GitLab said to come back (0: not said).
	RetryAfter time.Duration
}

func (e *ErrorResponse) Error() string {
	s := fmt.Sprintf("%s: HTTP %d %s", e.Op, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		s += ": " + escape.Line(e.Message, 200)
	}
	return s
}

// RateLimited reports GitLab's rate limit: 429, or a 403 that says so.
func (e *ErrorResponse) RateLimited() bool {
	return e.StatusCode == http.StatusTooManyRequests ||
		e.StatusCode == http.StatusForbidden && strings.Contains(strings.ToLower(e.Message), "rate limit")
}

// User is a GitLab user, as notes and GET /user name them.
type User struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

// Note is a merge request note (a comment, or a system note).
type Note struct {
	ID     int64  `json:"id"`
	Body   string `json:"body"`
	Author User   `json:"author"`
	System bool   `json:"system"`
}

func (c *Client) sameHost(u *url.URL) bool {
	return u.Scheme == c.base.Scheme && strings.EqualFold(u.Host, c.base.Host)
}

// errorMessage reads GitLab's error body: {"message": "..."}, a message
// that is an object of field errors, or an OAuth-style {"error": ...}.
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

// do sends one request and decodes a JSON answer into out. It returns the
// next page's URL, if any.
func (c *Client) do(ctx context.Context, op, method string, u *url.URL, in, out any) (*url.URL, error) {
	if !c.sameHost(u) {
		return nil, fmt.Errorf("%s: %w", op, ErrOtherHost)
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
	req.Header.Set("PRIVATE-TOKEN", c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
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
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("%s: read the answer: %w", op, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		er := &ErrorResponse{Op: op, StatusCode: resp.StatusCode, Message: errorMessage(data)}
		if n, err := strconv.ParseInt(resp.Header.Get("Retry-After"), 10, 32); err == nil && n > 0 {
			er.RetryAfter = time.Duration(n) * time.Second
		}
		return nil, er
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("%s: the answer is not GitLab's JSON", op)
		}
	}
	return c.next(u, resp.Header), nil
}

var linkNext = regexp.MustCompile(`<([^>]+)>\s*;\s*rel="?next"?`)

// next is the next page of a listing: X-Next-Page on the URL just asked
// (the base the user configured, whatever host GitLab thinks it has), else
// the Link header's rel="next".
func (c *Client) next(u *url.URL, h http.Header) *url.URL {
	if n, err := strconv.Atoi(h.Get("X-Next-Page")); err == nil && n > 0 {
		next := *u
		q := next.Query()
		q.Set("page", strconv.Itoa(n))
		next.RawQuery = q.Encode()
		return &next
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

// url is the base URL plus path, whose segments are escaped.
func (c *Client) url(query url.Values, segments ...string) *url.URL {
	u := *c.base
	var raw, plain strings.Builder
	for _, s := range segments {
		raw.WriteString("/" + url.PathEscape(s))
		plain.WriteString("/" + s)
	}
	base := strings.TrimRight(c.base.EscapedPath(), "/")
	u.Path = strings.TrimRight(c.base.Path, "/") + plain.String()
	u.RawPath = base + raw.String()
	u.RawQuery = query.Encode()
	return &u
}

func notesPath(project string, iid int) []string {
	return []string{"projects", project, "merge_requests", strconv.Itoa(iid), "notes"}
}

// ListNotes returns the notes of a merge request, oldest first, following
// the pagination.
func (c *Client) ListNotes(ctx context.Context, project string, iid int) ([]Note, error) {
	next := c.url(url.Values{"per_page": {"100"}, "sort": {"asc"}, "order_by": {"created_at"}}, notesPath(project, iid)...)
	var all []Note
	for page := 0; next != nil; page++ {
		if page == maxPages {
			return all, fmt.Errorf("list notes: more than %d pages", maxPages)
		}
		var notes []Note
		var err error
		if next, err = c.do(ctx, "list notes", http.MethodGet, next, nil, &notes); err != nil {
			return nil, err
		}
		all = append(all, notes...)
	}
	return all, nil
}

// CreateNote adds a note to a merge request.
func (c *Client) CreateNote(ctx context.Context, project string, iid int, body string) (*Note, error) {
	var out Note
	_, err := c.do(ctx, "create note", http.MethodPost, c.url(nil, notesPath(project, iid)...), map[string]string{"body": body}, &out)
	return &out, err
}

// UpdateNote replaces a note's body.
func (c *Client) UpdateNote(ctx context.Context, project string, iid int, id int64, body string) (*Note, error) {
	var out Note
	_, err := c.do(ctx, "update note", http.MethodPut, c.url(nil, append(notesPath(project, iid), strconv.FormatInt(id, 10))...), map[string]string{"body": body}, &out)
	return &out, err
}

// Identity is the user the token writes notes as (GET /user).
func (c *Client) Identity(ctx context.Context) (User, error) {
	var user User
	if _, err := c.do(ctx, "read the token's user", http.MethodGet, c.url(nil, "user"), nil, &user); err != nil {
		return User{}, err
	}
	if user.ID == 0 {
		return User{}, errors.New("read the token's user: the answer has no id")
	}
	return user, nil
}

// Upserted is what UpsertNote did.
type Upserted struct {
	// Created is set when a new note was added, rather than one edited.
	Created bool
	// Author is the token's user.
	Author User
	// Ignored counts the notes carrying the marker that someone else
	// wrote: never edited, never in the way.
	Ignored int
}

// UpsertNote edits the first note whose body holds marker and that the
// token's own user wrote, or creates one: one note per marker, updated
// rather than repeated, and nobody else's note ever touched.
func (c *Client) UpsertNote(ctx context.Context, project string, iid int, marker, body string) (Upserted, error) {
	author, err := c.Identity(ctx)
	if err != nil {
		return Upserted{}, err
	}
	out := Upserted{Author: author}
	notes, err := c.ListNotes(ctx, project, iid)
	if err != nil {
		return out, err
	}
	var own int64
	for _, n := range notes {
		switch {
		case n.System || !strings.Contains(n.Body, marker):
		case n.Author.ID != author.ID:
			out.Ignored++
		case own == 0:
			own = n.ID
		}
	}
	if own != 0 {
		_, err := c.UpdateNote(ctx, project, iid, own, body)
		return out, err
	}
	_, err = c.CreateNote(ctx, project, iid, body)
	out.Created = err == nil
	return out, err
}
