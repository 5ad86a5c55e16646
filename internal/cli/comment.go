package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/ghapi"
	"github.com/splx-ai/splx-probe-action/internal/report"
)

// comment keeps the pull request's comment for this comment key up to date
// with res (nil: the run was triggered, not waited for). It makes no GitHub
// API call unless this is a pull request event on GitHub with a token and
// pr-comment on; any failure is one warning that says what to grant, and
// never changes the exit code.
func (f *flow) comment(ctx context.Context, res *gate.Result) {
	if f.ci.Platform != ci.GitHub || f.ci.PRNumber == 0 || !bool(f.cfg.PRComment) || f.cfg.GitHubToken == "" {
		return
	}
	warn := func(err error) {
		hint := ""
		var er *ghapi.ErrorResponse
		if errors.As(err, &er) && (er.StatusCode == http.StatusForbidden || er.StatusCode == http.StatusNotFound || er.StatusCode == http.StatusUnauthorized) {
			hint = "; grant the job permissions: pull-requests: write (pull requests from forks get a read-only token and cannot be commented on), or set pr-comment: false"
		}
		f.rep.Warning("Pull request comment", fmt.Sprintf("could not comment on pull request #%d: %v%s; the verdict is unchanged", f.ci.PRNumber, err, hint))
	}
	apiURL := f.ci.APIURL
	if apiURL == "" {
		apiURL = "https://api.github.com"
	}
	u, err := config.ParseAPIURL(apiURL)
	if err != nil {
		warn(fmt.Errorf("GITHUB_API_URL %w", err))
		return
	}
	if f.ci.Repository == "" {
		warn(errors.New("GITHUB_REPOSITORY is not set"))
		return
	}
	key := string(f.cfg.CommentKey)
	if key == "" {
		key = fmt.Sprintf("%s / %s / target %d", f.ci.Workflow, f.ci.Job, f.cfg.TargetID)
	}
	var started *report.Started
	if res == nil {
		started = &report.Started{TestRunID: f.id, TargetID: int32(f.cfg.TargetID), URL: f.runURL(f.id), ProbeIDs: f.cfg.ProbeIDs, Reused: f.reusedNote()}
	}
	marker := report.CommentMarker(key)
	body := f.redact.String(report.Comment(marker, key, f.version, res, started))
	timeout := time.Duration(f.cfg.RequestTimeout)
	client := ghapi.New(u, string(f.cfg.GitHubToken), "splx-probe-action/"+f.version, timeout)
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*timeout)
	defer cancel()
	created, err := client.UpsertComment(cctx, f.ci.Repository, f.ci.PRNumber, marker, body)
	switch {
	case err != nil:
		warn(err)
	case created:
		f.rep.Info(fmt.Sprintf("Commented on pull request #%d.", f.ci.PRNumber))
	default:
		f.rep.Info(fmt.Sprintf("Updated the comment on pull request #%d.", f.ci.PRNumber))
	}
}
