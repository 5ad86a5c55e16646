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
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/rest"
)

// Client talks to the GitHub REST API. Create it with New.
type Client struct {
	rest *rest.Client
	// graphql is GitHub's GraphQL endpoint on the same host: /graphql
	// beside api.github.com's REST API, /api/graphql beside GHES's /api/v3.
	graphql *url.URL
}

// New returns a client for the API at base (GITHUB_API_URL) that
// authenticates with token.
func New(base *url.URL, token, userAgent string, timeout time.Duration) *Client {
	gql := *base
	gql.Path, gql.RawPath = strings.TrimSuffix(strings.TrimRight(base.Path, "/"), "/v3")+"/graphql", ""
	return &Client{graphql: &gql, rest: rest.New(rest.Config{
		API: "GitHub", Variable: "GITHUB_API_URL", Base: base,
		AuthHeader: "Authorization", AuthValue: "Bearer " + token,
		UserAgent: userAgent, Timeout: timeout,
		Header: http.Header{
			"Accept":               {"application/vnd.github+json"},
			"X-GitHub-Api-Version": {"2022-11-28"},
		},
		RateLimited: rateLimited,
	})}
}

// GitHubActionsBot is the author of the comments written with the
// workflow's GITHUB_TOKEN, an installation token that may not read GET
// /user.
const GitHubActionsBot = "github-actions[bot]"

// ErrorResponse is an answer other than 2xx. Its RateLimited is a 403 or
// 429 that is GitHub's primary rate limit (X-RateLimit-Remaining: 0) or a
// secondary one (Retry-After, or its documented message): not a missing
// permission.
type ErrorResponse = rest.ErrorResponse

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

// url is the base URL plus the repository's path (owner/name) and more
// segments.
func (c *Client) url(query url.Values, repo string, segments ...string) *url.URL {
	return c.rest.URL(query, append(append([]string{"repos"}, strings.Split(repo, "/")...), segments...)...)
}

// CreateComment adds a comment to an issue or pull request.
func (c *Client) CreateComment(ctx context.Context, repo string, number int, body string) (*Comment, error) {
	var out Comment
	_, err := c.rest.Do(ctx, "create comment", http.MethodPost, c.url(nil, repo, "issues", strconv.Itoa(number), "comments"), map[string]string{"body": body}, &out)
	return &out, err
}

// UpdateComment replaces a comment's body.
func (c *Client) UpdateComment(ctx context.Context, repo string, id int64, body string) (*Comment, error) {
	var out Comment
	_, err := c.rest.Do(ctx, "update comment", http.MethodPatch, c.url(nil, repo, "issues", "comments", strconv.FormatInt(id, 10)), map[string]string{"body": body}, &out)
	return &out, err
}

// Identity is the login that comments written with the token carry: the
// user of a personal access token (GET /user), else, for an installation
// token that may not read it (403), the GraphQL viewer (a GitHub App's
// "name[bot]"), else GitHubActionsBot (the workflow's GITHUB_TOKEN).
func (c *Client) Identity(ctx context.Context) (string, error) {
	var user struct {
		Login string `json:"login"`
	}
	_, err := c.rest.Do(ctx, "read the token's user", http.MethodGet, c.rest.URL(nil, "user"), nil, &user)
	var er *ErrorResponse
	switch {
	case errors.As(err, &er) && er.StatusCode == http.StatusForbidden && !er.RateLimited:
		if login := c.viewer(ctx); login != "" {
			return login, nil
		}
		return GitHubActionsBot, nil
	case err != nil:
		return "", err
	case user.Login == "":
		return "", errors.New("read the token's user: the answer has no login")
	}
	return user.Login, nil
}

// viewer is the GraphQL viewer's login, which an installation token may
// read: "" when GraphQL does not answer with one (then the token is taken
// for the workflow's GITHUB_TOKEN, as before GraphQL was asked).
func (c *Client) viewer(ctx context.Context) string {
	var out struct {
		Data struct {
			Viewer struct {
				Login string `json:"login"`
			} `json:"viewer"`
		} `json:"data"`
	}
	if _, err := c.rest.Do(ctx, "read the token's identity", http.MethodPost, c.graphql, map[string]string{"query": "query{viewer{login}}"}, &out); err != nil {
		return ""
	}
	return strings.TrimSpace(out.Data.Viewer.Login)
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
	// search reads (MaxComments) and the tool's own was not among them:
	// a new comment was created, and an older one may be further on.
	PastLimit bool
}

// MaxComments is how many comments UpsertComment reads at most.
const MaxComments = rest.MaxPages * 100

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
	first := c.url(url.Values{"per_page": {"100"}}, repo, "issues", strconv.Itoa(number), "comments")
	out.Pages, out.PastLimit, err = rest.Pages(ctx, c.rest, "list comments", first, func(page []Comment) bool {
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
