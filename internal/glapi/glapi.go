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
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/rest"
)

// Client talks to the GitLab REST API (v4). Create it with New.
type Client struct {
	rest *rest.Client
}

// New returns a client for the API at base (CI_API_V4_URL) that
// authenticates with token.
func New(base *url.URL, token, userAgent string, timeout time.Duration) *Client {
	return &Client{rest: rest.New(rest.Config{
		API: "GitLab", Variable: "CI_API_V4_URL", Base: base,
		AuthHeader: "PRIVATE-TOKEN", AuthValue: token,
		UserAgent: userAgent, Timeout: timeout,
		Header:     http.Header{"Accept": {"application/json"}},
		PageHeader: "X-Next-Page",
		RateLimited: func(status int, _ http.Header, message string) bool {
			return status == http.StatusTooManyRequests ||
				status == http.StatusForbidden && strings.Contains(strings.ToLower(message), "rate limit")
		},
	})}
}

// ErrorResponse is an answer other than 2xx. Its RateLimited is GitLab's
// rate limit: 429, or a 403 that says so.
type ErrorResponse = rest.ErrorResponse

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

func notesPath(project string, iid int) []string {
	return []string{"projects", project, "merge_requests", strconv.Itoa(iid), "notes"}
}

// ListNotes returns the notes of a merge request, oldest first, following
// the pagination.
func (c *Client) ListNotes(ctx context.Context, project string, iid int) ([]Note, error) {
	first := c.rest.URL(url.Values{"per_page": {"100"}, "sort": {"asc"}, "order_by": {"created_at"}}, notesPath(project, iid)...)
	var all []Note
	_, more, err := rest.Pages(ctx, c.rest, "list notes", first, func(page []Note) bool {
		all = append(all, page...)
		return false
	})
	switch {
	case err != nil:
		return nil, err
	case more:
		return all, fmt.Errorf("list notes: more than %d pages", rest.MaxPages)
	}
	return all, nil
}

// CreateNote adds a note to a merge request.
func (c *Client) CreateNote(ctx context.Context, project string, iid int, body string) (*Note, error) {
	var out Note
	_, err := c.rest.Do(ctx, "create note", http.MethodPost, c.rest.URL(nil, notesPath(project, iid)...), map[string]string{"body": body}, &out)
	return &out, err
}

// UpdateNote replaces a note's body.
func (c *Client) UpdateNote(ctx context.Context, project string, iid int, id int64, body string) (*Note, error) {
	var out Note
	_, err := c.rest.Do(ctx, "update note", http.MethodPut, c.rest.URL(nil, append(notesPath(project, iid), strconv.FormatInt(id, 10))...), map[string]string{"body": body}, &out)
	return &out, err
}

// Identity is the user the token writes notes as (GET /user).
func (c *Client) Identity(ctx context.Context) (User, error) {
	var user User
	if _, err := c.rest.Do(ctx, "read the token's user", http.MethodGet, c.rest.URL(nil, "user"), nil, &user); err != nil {
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
