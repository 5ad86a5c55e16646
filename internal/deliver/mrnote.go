package deliver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/glapi"
	"github.com/splx-ai/splx-probe-action/internal/grace"
)

// noteToken says which token the merge request note needs.
const noteToken = "a project access token with the api scope and the Reporter role (Settings > Access tokens), in a masked CI/CD variable SPLX_GITLAB_TOKEN"

// mrNote keeps the merge request's note for this comment key up to date
// at every exit, with the pull request comment's content and rules: no
// GitLab API call unless this is a merge-request pipeline with a
// gitlab-token and pr-comment on, the token only to CI_API_V4_URL's host,
// only notes of the token's own user edited, a failure a warning that
// never changes the exit code, and after a signal grace.Signal, no more.
// Only GitLab's context knows a merge request.
type mrNote struct{}

func (mrNote) Name() string     { return "Merge request note" }
func (mrNote) Stage() Stage     { return AtExit }
func (mrNote) Failure() Failure { return Warns }

func (mrNote) Deliver(ctx context.Context, r *Run) error {
	cfg, iid := r.Settings, r.CI.MergeRequestIID
	if cfg == nil || iid == 0 || !bool(cfg.PRComment) {
		return nil
	}
	if cfg.GitLabToken == "" {
		if r.CI.JobToken {
			r.Log.Info(fmt.Sprintf("No note on merge request !%d: gitlab-token is not set, and the job's CI_JOB_TOKEN cannot write notes; for one, give the job %s.", iid, noteToken))
		}
		return nil
	}
	failed := func(err error) error {
		return fmt.Errorf("could not update the note on merge request !%d: %v%s; the verdict is unchanged", iid, err, noteAdvice(ctx, err))
	}
	if r.CI.APIURL == "" || r.CI.ProjectID == "" {
		return failed(errors.New("CI_API_V4_URL or CI_PROJECT_ID is not set"))
	}
	u, err := config.ParseAPIURL(r.CI.APIURL)
	if err != nil {
		return failed(fmt.Errorf("CI_API_V4_URL %w", err))
	}
	return upsert(ctx, r, mrNote{}.key(r), func(cctx context.Context, timeout time.Duration, marker, body string) error {
		client := glapi.New(u, string(cfg.GitLabToken), "splx-probe-action/"+r.Version, timeout)
		done, err := client.UpsertNote(cctx, r.CI.ProjectID, iid, marker, body)
		if done.Ignored > 0 {
			r.Log.Info(fmt.Sprintf("Ignored %d note(s) on merge request !%d that carry this job's marker but were not written by the token's user (%s).", done.Ignored, iid, done.Author.Username))
		}
		switch {
		case err != nil:
			return failed(err)
		case done.Created:
			r.Log.Info(fmt.Sprintf("Added a note to merge request !%d.", iid))
		default:
			r.Log.Info(fmt.Sprintf("Updated the note on merge request !%d.", iid))
		}
		return nil
	})
}

// key is the comment key: the job and the target unless comment-key is
// set.
func (mrNote) key(r *Run) string {
	job := r.CI.Job
	if job == "" {
		job = "splx-probe"
	}
	return commentKey(r.Settings, job)
}

// noteAdvice says what to do about a note that failed.
func noteAdvice(ctx context.Context, err error) string {
	var er *glapi.ErrorResponse
	switch {
	case ctx.Err() != nil:
		return fmt.Sprintf("; the job was cancelled, and the note got %s", grace.Signal)
	case errors.As(err, &er) && er.RateLimited:
		after := ""
		if er.RetryAfter > 0 {
			after = " (GitLab asked to wait " + er.RetryAfter.String() + ")"
		}
		return "; GitLab rate limited the token" + after + ": the note is updated by the next pipeline, or retry this job later"
	case errors.As(err, &er) && er.StatusCode == http.StatusUnauthorized:
		return "; GitLab rejected the token (expired or revoked?): give gitlab-token " + noteToken
	case errors.As(err, &er) && (er.StatusCode == http.StatusForbidden || er.StatusCode == http.StatusNotFound):
		return "; the token may not write notes on this merge request: use " + noteToken + " (CI_JOB_TOKEN cannot), or set pr-comment: false"
	}
	return ""
}
