// Package ghapi is a small client for the GitHub REST API's issue comments:
// enough to keep one pull request comment up to date instead of adding a
// new one on every run. It works against GitHub.com and GitHub Enterprise
// Server alike (the base URL is GITHUB_API_URL).
//
// The token is sent only in the Authorization header, only to the base
// URL's scheme, host and port: a redirect or a pagination link elsewhere
// is refused.
//
// The marker that finds the comment again can be computed by anyone who
// reads the workflow, so a comment is only ever edited when the token's own
// identity wrote it: GET /user names a personal access token's user; an
// installation token (GITHUB_TOKEN) may not read it, and its comments are
// written by github-actions[bot].
package ghapi

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

// Client talks to the GitHub REST API. Create it with New.
type Client struct {
	base      *url.URL
	token     string
	http      *http.Client
	userAgent string
}

// New returns a client for the API at base that authenticates with token.
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
var ErrOtherHost = errors.New("refused to follow GitHub's answer to another host: the token is only sent to GITHUB_API_URL")

// ErrRedirectLoop is more than 3 redirects on GitHub's own host.
var ErrRedirectLoop = errors.New("stopped after 3 redirects on GITHUB_API_URL's host; check GITHUB_API_URL and any proxy in front of it")

// GitHubActionsBot is the author of the comments written with the
// workflow's GITHUB_TOKEN, an installation token that may not read GET
// /user.
const GitHubActionsBot = "github-actions[bot]"

// ErrorResponse is an answer other than 2xx. Message comes from GitHub's
// JSON error body; it is untrusted text, escaped when shown.
type ErrorResponse struct {
	Op         string
	StatusCode int
	Message    string
	// RateLimited is a 403 or 429 that is GitHub's primary rate limit
	// (X-RateLimit-Remaining: 0) or a secondary one (Retry-After, or its
	// documented message): not a missing permission.
	RateLimited bool
	// RetryAfter is when GitHub said to come back (0: not said).
	RetryAfter time.Duration
}

func (e *ErrorResponse) Error() string {
	s := fmt.Sprintf("%s: HTTP %d %s", e.Op, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		s += ": " + escape.Line(e.Message, 200)
	}
	return s
}

// rateLimited tells a rate limit from a refusal, as GitHub's REST
// documentation describes both kinds of limit.
func rateLimited(status int, h http.Header, message string) bool {
	if status != http.StatusForbidden && status != http.StatusTooManyRequests {
		return false
	}
	return h.Get("X-RateLimit-Remaining") == "0" || h.Get("Retry-After") != "" ||
		strings.Contains(strings.ToLower(message), "rate limit")
}

// Comment is an issue or pull request comment.
type Comment struct {
	ID   int64  `json:"id"`
	Body string `json:"body"`
	User struct {
		Login string `json:"login"`
	} `json:"user"`
}

func (c *Client) sameHost(u *url.URL) bool {
	return u.Scheme == c.base.Scheme && strings.EqualFold(u.Host, c.base.Host)
}

// do sends one request and decodes a JSON answer into out. It returns the
// next page's URL from the Link header, if any.
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
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
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
		er := &ErrorResponse{Op: op, StatusCode: resp.StatusCode}
		var doc struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &doc) == nil {
			er.Message = doc.Message
		}
		er.RateLimited = rateLimited(resp.StatusCode, resp.Header, er.Message)
		if n, err := strconv.ParseInt(resp.Header.Get("Retry-After"), 10, 32); err == nil && n > 0 {
			er.RetryAfter = time.Duration(n) * time.Second
		}
		return nil, er
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("%s: the answer is not GitHub's JSON", op)
		}
	}
	return nextLink(resp.Header.Get("Link")), nil
}

var linkNext = regexp.MustCompile(`<([^>]+)>\s*;\s*rel="?next"?`)

// nextLink reads the rel="next" URL of a Link header.
func nextLink(h string) *url.URL {
	m := linkNext.FindStringSubmatch(h)
	if m == nil {
		return nil
	}
	u, err := url.Parse(m[1])
	if err != nil {
		return nil
	}
	return u
}

func (c *Client) url(path string, query url.Values) *url.URL {
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + path
	u.RawQuery = query.Encode()
	return &u
}

// ListComments returns the comments of an issue or pull request, following
// the pagination for at most maxPages pages.
func (c *Client) ListComments(ctx context.Context, repo string, number int) ([]Comment, error) {
	var all []Comment
	_, more, err := c.eachPage(ctx, repo, number, func(page []Comment) bool {
		all = append(all, page...)
		return false
	})
	switch {
	case err != nil:
		return nil, err
	case more:
		return all, fmt.Errorf("list comments: more than %d pages", maxPages)
	}
	return all, nil
}

// eachPage reads the comments page by page and gives each page to found,
// until found reports true, the pages end, or maxPages were read. It
// returns how many pages it read and whether more were left unread.
func (c *Client) eachPage(ctx context.Context, repo string, number int, found func([]Comment) bool) (pages int, more bool, err error) {
	next := c.url(fmt.Sprintf("/repos/%s/issues/%d/comments", repo, number), url.Values{"per_page": {"100"}})
	for next != nil {
		if pages == maxPages {
			return pages, true, nil
		}
		var page []Comment
		if next, err = c.do(ctx, "list comments", http.MethodGet, next, nil, &page); err != nil {
			return pages, false, err
		}
		pages++
		if found(page) {
			return pages, next != nil, nil
		}
	}
	return pages, false, nil
}

// CreateComment adds a comment to an issue or pull request.
func (c *Client) CreateComment(ctx context.Context, repo string, number int, body string) (*Comment, error) {
	var out Comment
	_, err := c.do(ctx, "create comment", http.MethodPost, c.url(fmt.Sprintf("/repos/%s/issues/%d/comments", repo, number), nil), map[string]string{"body": body}, &out)
	return &out, err
}

// UpdateComment replaces a comment's body.
func (c *Client) UpdateComment(ctx context.Context, repo string, id int64, body string) (*Comment, error) {
	var out Comment
	_, err := c.do(ctx, "update comment", http.MethodPatch, c.url(fmt.Sprintf("/repos/%s/issues/comments/%d", repo, id), nil), map[string]string{"body": body}, &out)
	return &out, err
}

// Identity is the login that comments written with the token carry: the
// user of a personal access token (GET /user), else, for an installation
// token that may not read it (403), GitHubActionsBot.
func (c *Client) Identity(ctx context.Context) (string, error) {
	var user struct {
		Login string `json:"login"`
	}
	_, err := c.do(ctx, "read the token's user", http.MethodGet, c.url("/user", nil), nil, &user)
	var er *ErrorResponse
	switch {
	case errors.As(err, &er) && er.StatusCode == http.StatusForbidden && !er.RateLimited:
		return GitHubActionsBot, nil
	case err != nil:
		return "", err
	case user.Login == "":
		return "", errors.New("read the token's user: the answer has no login")
	}
	return user.Login, nil
}

// Upserted is what UpsertComment did.
type Upserted struct {
	// Created is set when a new comment was added, rather than one edited.
	Created bool
	// Author is the token's identity.
	Author string
	// Ignored counts the comments carrying the marker that someone else
	// wrote: never edited, never in the way.
	Ignored int
	// Pages is how many pages of comments were read.
	Pages int
	// PastLimit is set when the pull request has more comments than the
	// search reads (maxPages pages) and the tool's own was not among them:
	// a new comment was created, and an older one may be further on.
	PastLimit bool
}

// MaxComments is how many comments UpsertComment reads at most.
const MaxComments = maxPages * 100

// UpsertComment edits the first comment whose body holds marker and that
// the token's own identity wrote, or creates one: one comment per marker,
// updated rather than repeated, and nobody else's comment ever touched.
// The search stops at the page that holds that comment; on a pull request
// with more than MaxComments comments and none of its own among them, it
// creates a new one (PastLimit) rather than give no verdict.
func (c *Client) UpsertComment(ctx context.Context, repo string, number int, marker, body string) (Upserted, error) {
	author, err := c.Identity(ctx)
	if err != nil {
		return Upserted{}, err
	}
	out := Upserted{Author: author}
	var own *Comment
	out.Pages, out.PastLimit, err = c.eachPage(ctx, repo, number, func(page []Comment) bool {
		for i, cm := range page {
			if !strings.Contains(cm.Body, marker) {
				continue
			}
			if !strings.EqualFold(cm.User.Login, author) {
				out.Ignored++
				continue
			}
			own = &page[i]
			return true
		}
		return false
	})
	if err != nil {
		return out, err
	}
	if own != nil {
		out.PastLimit = false
		_, err := c.UpdateComment(ctx, repo, own.ID, body)
		return out, err
	}
	_, err = c.CreateComment(ctx, repo, number, body)
	out.Created = err == nil
	return out, err
}
