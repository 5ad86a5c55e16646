package deliver

import (
	"context"
	"fmt"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/grace"
	"github.com/splx-ai/splx-probe-action/internal/render"
)

// What the pull request comment and the merge request note share: one
// comment per comment key, rendered from the run and the CI context's
// links, and posted within the request timeout and, after a signal,
// within grace.Signal.

// CommentInput is what the pull request comment shows (the demo previews
// it).
func CommentInput(r *Run) render.CommentInput { return commentInput(r, prComment{}.key(r)) }

// commentInput is what a comment shows under key: the result, the run
// started or the problem, and the commit, the time and the CI run.
func commentInput(r *Run, key string) render.CommentInput {
	return render.CommentInput{
		Marker: render.CommentMarker(key), Key: key, Version: r.Version,
		Result: r.Result, Started: r.Started, Problem: r.Problem,
		Commit: r.CI.SHA, CommitURL: r.CI.CommitURL, Time: r.Clock.Now(),
		RunURL: r.CI.RunURL, RunLabel: r.CI.RunLabel,
	}
}

// commentKey is the comment-key setting, else the name of the step and the
// target: what tells this step's comment from another's.
func commentKey(cfg *config.Config, step string) string {
	if key := string(cfg.CommentKey); key != "" {
		return key
	}
	return fmt.Sprintf("%s / target %d", step, cfg.TargetID)
}

// upsert renders the comment under key and hands post its marker, its
// redacted body and the request timeout, with a context that lasts three
// request timeouts at most, and grace.Signal after a signal.
func upsert(ctx context.Context, r *Run, key string, post func(ctx context.Context, timeout time.Duration, marker, body string) error) error {
	in := commentInput(r, key)
	body := r.Redact.String(render.Comment(in))
	timeout := time.Duration(r.Settings.RequestTimeout)
	if timeout <= 0 {
		timeout = 60 * time.Second // the setting itself was refused
	}
	sctx, stop := grace.After(ctx, grace.Signal)
	defer stop()
	cctx, cancel := context.WithTimeout(sctx, grace.MulDuration(timeout, 3))
	defer cancel()
	return post(cctx, timeout, in.Marker, body)
}
