package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/glapi"
	"github.com/splx-ai/splx-probe-action/internal/report"
)

// noteToken says which token the merge request note needs.
const noteToken = "a project access token with the api scope and the Reporter role (Settings > Access tokens), in a masked CI/CD variable SPLX_GITLAB_TOKEN"

// postNote keeps the merge request's note for this comment key up to date,
// with the pull request comment's content and rules: no GitLab API call
// unless this is a merge-request pipeline with a gitlab-token and
// pr-comment on, the token only to CI_API_V4_URL's host, only notes of the
// token's own user edited, any failure one warning that never changes the
// exit code, and after a signal signalGrace, no more.
func (p *prComment) postNote(ctx context.Context) {
	cfg := p.cfg
	if cfg == nil || p.ci.Platform != ci.GitLab || p.ci.MergeRequestIID == 0 || !bool(cfg.PRComment) {
		return
	}
	iid := p.ci.MergeRequestIID
	if cfg.GitLabToken == "" {
		if p.ci.JobToken {
			p.rep.Info(fmt.Sprintf("No note on merge request !%d: gitlab-token is not set, and the job's CI_JOB_TOKEN cannot write notes; for one, give the job %s.", iid, noteToken))
		}
		return
	}
	warn := func(err error) {
		p.rep.Warning("Merge request note", fmt.Sprintf("could not update the note on merge request !%d: %v%s; the verdict is unchanged", iid, err, noteAdvice(ctx, err)))
	}
	if p.ci.APIURL == "" || p.ci.ProjectID == "" {
		warn(errors.New("CI_API_V4_URL or CI_PROJECT_ID is not set"))
		return
	}
	u, err := config.ParseAPIURL(p.ci.APIURL)
	if err != nil {
		warn(fmt.Errorf("CI_API_V4_URL %w", err))
		return
	}
	job := p.ci.Job
	if job == "" {
		job = "splx-probe"
	}
	in := p.base(fmt.Sprintf("%s / target %d", job, cfg.TargetID))
	if project := strings.TrimRight(p.ci.ProjectURL, "/"); project != "" && p.ci.Commit != "" {
		in.CommitURL = project + "/-/commit/" + p.ci.Commit
	}
	in.RunURL, in.RunLabel = p.ci.JobURL, "pipeline job"
	body := p.red.String(report.Comment(in))
	timeout := time.Duration(cfg.RequestTimeout)
	if timeout <= 0 {
		timeout = 60 * time.Second // the setting itself was refused
	}
	client := glapi.New(u, string(cfg.GitLabToken), "splx-probe-action/"+p.version, timeout)
	sctx, stop := afterSignal(ctx, signalGrace)
	defer stop()
	cctx, cancel := context.WithTimeout(sctx, mulDuration(timeout, 3))
	defer cancel()
	done, err := client.UpsertNote(cctx, p.ci.ProjectID, iid, in.Marker, body)
	if done.Ignored > 0 {
		p.rep.Info(fmt.Sprintf("Ignored %d note(s) on merge request !%d that carry this job's marker but were not written by the token's user (%s).", done.Ignored, iid, done.Author.Username))
	}
	switch {
	case err != nil:
		warn(err)
	case done.Created:
		p.rep.Info(fmt.Sprintf("Added a note to merge request !%d.", iid))
	default:
		p.rep.Info(fmt.Sprintf("Updated the note on merge request !%d.", iid))
	}
}

// noteAdvice says what to do about a note that failed.
func noteAdvice(ctx context.Context, err error) string {
	var er *glapi.ErrorResponse
	switch {
	case ctx.Err() != nil:
		return fmt.Sprintf("; the job was cancelled, and the note got %s", signalGrace)
	case errors.As(err, &er) && er.RateLimited():
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
