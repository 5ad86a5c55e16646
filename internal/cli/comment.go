package cli

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/ghapi"
	"github.com/splx-ai/splx-probe-action/internal/redact"
	"github.com/splx-ai/splx-probe-action/internal/report"
)

// signalGrace is what a request in flight when the job is cancelled, or
// sent after, gets: the runner kills the container 10 s after its first
// signal, and the cancel of the remote run (cancelGrace) comes first.
const signalGrace = 2 * time.Second

// afterSignal returns a context that is cancelled grace after ctx is, and
// not before: a request in flight at a signal, or sent after it, gets a
// short grace, never the whole request timeout. The grace is real time (it
// bounds real network I/O before the runner's kill). stop releases it.
func afterSignal(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	out, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var mu sync.Mutex
	var timer *time.Timer
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		timer = time.AfterFunc(grace, cancel)
	})
	return out, func() {
		stop()
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel()
	}
}

// mulDuration is d*n, saturated: request-timeout has no upper bound that
// keeps a product from overflowing.
func mulDuration(d time.Duration, n int64) time.Duration {
	if d > 0 && n > 0 && d > math.MaxInt64/time.Duration(n) {
		return math.MaxInt64
	}
	return d * time.Duration(n)
}

// prComment is how one invocation ended, as its pull request comment says
// it. Every exit after the pull request context could be read updates the
// comment, so that an earlier verdict never stays on a pull request whose
// latest run said something else.
type prComment struct {
	cfg     *config.Config
	ci      ci.Context
	rep     ci.Reporter
	red     *redact.Redactor
	clock   Clock
	version string
	// res is the run's result; started, a run triggered without waiting.
	res     *gate.Result
	started *report.Started
	// runID and runURL are the run triggered or attached to (0 before).
	runID  int32
	runURL string
	code   ExitCode
	err    error
}

// verdictCode is the exit code a verdict alone gives.
func verdictCode(v gate.Verdict) ExitCode {
	switch v {
	case gate.Passed:
		return ExitOK
	case gate.Failed:
		return ExitGateFailed
	case gate.TimedOut:
		return ExitTimeout
	}
	return ExitNoVerdict
}

// problem is what the comment says instead of (or over) a verdict, nil when
// the exit is the result's verdict or a started run.
func (p *prComment) problem() *report.Problem {
	switch {
	case p.res != nil && p.code == verdictCode(p.res.Verdict):
		return nil
	case p.res == nil && p.started != nil && p.code == ExitOK:
		return nil
	}
	errs := split(p.err)
	if p.err == nil {
		errs = nil
	}
	var details, fixes []string
	for _, e := range errs {
		title, msg := annotation(e, nil) // without the advice: that is the fix
		details = append(details, title+": "+msg)
		if r := ruleFor(e); r.advice != nil && p.cfg != nil {
			fixes = append(fixes, r.advice(p.cfg))
		}
	}
	title := "the job failed"
	if len(errs) > 0 {
		title = strings.ToLower(ruleFor(errs[0]).title)
	}
	head := "❓ no verdict: " + title
	switch {
	case p.code == ExitInterrupted:
		head = "⏹️ interrupted: the job was cancelled"
	case p.res != nil && p.res.Verdict == gate.Passed:
		head = "❌ job failed: " + title
	}
	// The text is redacted before it is escaped: an escaped secret would
	// no longer match.
	return &report.Problem{Headline: head, Detail: p.red.String(strings.Join(details, "; ")), Fix: p.red.String(strings.Join(fixes, " ")), Exit: int(p.code)}
}

// post keeps the pull request's comment for this comment key up to date.
// It makes no GitHub API call unless this is a pull_request or
// pull_request_target event on GitHub with a token and pr-comment on; any
// failure is one warning that says what to do, and never changes the exit
// code. After a signal it gets signalGrace, no more.
func (p *prComment) post(ctx context.Context) {
	cfg := p.cfg
	if cfg == nil || p.ci.Platform != ci.GitHub || p.ci.PRNumber == 0 || !bool(cfg.PRComment) || cfg.GitHubToken == "" {
		return
	}
	warn := func(err error) {
		p.rep.Warning("Pull request comment", fmt.Sprintf("could not comment on pull request #%d: %v%s; the verdict is unchanged", p.ci.PRNumber, err, commentAdvice(ctx, err)))
	}
	apiURL := p.ci.APIURL
	if apiURL == "" {
		apiURL = "https://api.github.com"
	}
	u, err := config.ParseAPIURL(apiURL)
	if err != nil {
		warn(fmt.Errorf("GITHUB_API_URL %w", err))
		return
	}
	if p.ci.Repository == "" {
		warn(errors.New("GITHUB_REPOSITORY is not set"))
		return
	}
	in := p.input()
	body := p.red.String(report.Comment(in))
	timeout := time.Duration(cfg.RequestTimeout)
	if timeout <= 0 {
		timeout = 60 * time.Second // the setting itself was refused
	}
	client := ghapi.New(u, string(cfg.GitHubToken), "splx-probe-action/"+p.version, timeout)
	sctx, stop := afterSignal(ctx, signalGrace)
	defer stop()
	cctx, cancel := context.WithTimeout(sctx, mulDuration(timeout, 3))
	defer cancel()
	done, err := client.UpsertComment(cctx, p.ci.Repository, p.ci.PRNumber, in.Marker, body)
	if done.Ignored > 0 {
		p.rep.Info(fmt.Sprintf("Ignored %d comment(s) on pull request #%d that carry this step's marker but were not written by %s.", done.Ignored, p.ci.PRNumber, done.Author))
	}
	switch {
	case err != nil:
		warn(err)
	case done.Created && done.PastLimit:
		p.rep.Warning("Pull request comment", fmt.Sprintf("Commented on pull request #%d with a new comment: it has more than %d comments and this step's own comment was not among the first %d, so an older one may remain further down (each run past the limit adds one).", p.ci.PRNumber, ghapi.MaxComments, ghapi.MaxComments))
	case done.Created:
		p.rep.Info(fmt.Sprintf("Commented on pull request #%d.", p.ci.PRNumber))
	default:
		p.rep.Info(fmt.Sprintf("Updated the comment on pull request #%d.", p.ci.PRNumber))
	}
}

// base is what the comment or the merge request note shows, under the
// comment-key setting or else key, without the platform's links.
func (p *prComment) base(key string) report.CommentInput {
	if p.cfg.CommentKey != "" {
		key = string(p.cfg.CommentKey)
	}
	return report.CommentInput{
		Marker: report.CommentMarker(key), Key: key, Version: p.version,
		Result: p.res, Started: p.started, Problem: p.problem(),
		Commit: p.ci.SHA, Time: p.clock.Now(),
	}
}

// input is what the pull request comment shows: the result, the run
// started or the problem, and the commit, the time and the workflow run.
func (p *prComment) input() report.CommentInput {
	in := p.base(fmt.Sprintf("%s / %s / target %d", p.ci.Workflow, p.ci.Job, p.cfg.TargetID))
	server := strings.TrimRight(p.ci.ServerURL, "/")
	if server == "" {
		server = "https://github.com"
	}
	if p.ci.Commit != "" {
		in.CommitURL = fmt.Sprintf("%s/%s/commit/%s", server, p.ci.Repository, p.ci.Commit)
	}
	if p.ci.CIRun != "" {
		in.RunURL = fmt.Sprintf("%s/%s/actions/runs/%s", server, p.ci.Repository, p.ci.CIRun)
		if p.ci.Attempt != "" && p.ci.Attempt != "1" {
			in.RunURL += "/attempts/" + p.ci.Attempt
		}
	}
	return in
}

// summary is the job summary of an exit that published no results: a run
// started and not waited for, or what stopped the job, its fix and the
// run's link. "" when the results' summary was written.
func (p *prComment) summary() string {
	switch {
	case p.res != nil:
		return ""
	case p.started != nil && p.code == ExitOK:
		return report.StartedSummary(p.started)
	}
	prob := p.problem()
	if prob == nil {
		return ""
	}
	return p.red.String(report.ExitSummary(prob, p.runID, p.runURL))
}

// commentAdvice says what to do about a comment that failed.
func commentAdvice(ctx context.Context, err error) string {
	var er *ghapi.ErrorResponse
	switch {
	case ctx.Err() != nil:
		return fmt.Sprintf("; the job was cancelled, and the comment got %s", signalGrace)
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
