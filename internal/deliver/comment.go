package deliver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/ghapi"
	"github.com/splx-ai/splx-probe-action/internal/grace"
)

// prComment keeps the pull request's comment for this comment key up to
// date at every exit after the pull request context could be read, so that
// an earlier verdict never stays on a pull request whose latest run said
// something else. It makes no GitHub API call unless this is a pull
// request event on GitHub with a token and pr-comment on; a failure is a
// warning that says what to do, and never changes the exit code. After a
// signal it gets grace.Signal, no more. Only GitHub's context knows a pull
// request.
type prComment struct{}

func (prComment) Name() string     { return "Pull request comment" }
func (prComment) Stage() Stage     { return AtExit }
func (prComment) Failure() Failure { return Warns }

func (prComment) Deliver(ctx context.Context, r *Run) error {
	cfg, pr := r.Settings, r.CI.PRNumber
	if cfg == nil || pr == 0 || !bool(cfg.PRComment) || cfg.GitHubToken == "" {
		return nil
	}
	failed := func(err error) error {
		return fmt.Errorf("could not comment on pull request #%d: %v%s; the verdict is unchanged", pr, err, commentAdvice(ctx, err))
	}
	u, err := config.ParseAPIURL(r.CI.APIURL)
	if err != nil {
		return failed(fmt.Errorf("GITHUB_API_URL %w", err))
	}
	if r.CI.Repository == "" {
		return failed(errors.New("GITHUB_REPOSITORY is not set"))
	}
	return upsert(ctx, r, prComment{}.key(r), func(cctx context.Context, timeout time.Duration, marker, body string) error {
		client := ghapi.New(u, string(cfg.GitHubToken), "splx-probe-action/"+r.Version, timeout)
		done, err := client.UpsertComment(cctx, r.CI.Repository, pr, marker, body)
		if done.Ignored > 0 {
			r.Log.Info(fmt.Sprintf("Ignored %d comment(s) on pull request #%d that carry this step's marker but were not written by %s.", done.Ignored, pr, done.Author))
		}
		switch {
		case err != nil:
			return failed(err)
		case done.Created && done.PastLimit:
			r.Log.Warning("Pull request comment", fmt.Sprintf("Commented on pull request #%d with a new comment: it has more than %d comments and this step's own comment was not among the first %d, so an older one may remain further down (each run past the limit adds one).", pr, ghapi.MaxComments, ghapi.MaxComments))
		case done.Created:
			r.Log.Info(fmt.Sprintf("Commented on pull request #%d.", pr))
		default:
			r.Log.Info(fmt.Sprintf("Updated the comment on pull request #%d.", pr))
		}
		return nil
	})
}

// key is the comment key: the workflow, the job and the target unless
// comment-key is set.
func (prComment) key(r *Run) string { return commentKey(r.Settings, r.CI.Workflow+" / "+r.CI.Job) }

// commentAdvice says what to do about a comment that failed.
func commentAdvice(ctx context.Context, err error) string {
	var er *ghapi.ErrorResponse
	switch {
	case ctx.Err() != nil:
		return fmt.Sprintf("; the job was cancelled, and the comment got %s", grace.Signal)
	case errors.As(err, &er) && er.RateLimited:
		after := ""
		if er.RetryAfter > 0 {
			after = " (GitHub asked to wait " + er.RetryAfter.String() + ")"
		}
		return "; GitHub rate limited the token" + after + ": the comment is updated by the next run, or re-run this job later"
	case errors.As(err, &er) && (er.StatusCode == 401):
		return "; GitHub rejected the token: check github-token (the action passes github.token)"
	case errors.As(err, &er) && (er.StatusCode == 403 || er.StatusCode == 404):
		return "; grant the job permissions: pull-requests: write (pull requests from forks get a read-only token and cannot be commented on), or set pr-comment: false"
	}
	return ""
}
