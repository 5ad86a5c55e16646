package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/grace"
	"github.com/splx-ai/splx-probe-action/internal/probe"
)

// waitFailed adds to the error that ended a wait on a run this tool
// triggered what that means: the run may go on spending credits. With
// cancel-on-timeout, the run is cancelled, as after a timeout.
func (f *flow) waitFailed(ctx context.Context, err error) error {
	if f.triggeredAt.IsZero() {
		return err
	}
	if bool(f.Settings.CancelOnTimeout) && f.cancelRun(ctx, 30*time.Second) {
		return fmt.Errorf("%w; the wait for %s ended on this failure, so the run was cancelled (cancel-on-timeout)", err, f.runRef())
	}
	return fmt.Errorf("%w; the wait for %s ended on this failure, but the run may still be going on and spending credits: attach to it later with test-run-id: %d, or cancel it in the SPLX Probe web UI", err, f.runRef(), f.ID)
}

// cancelRun asks the platform to cancel the run, bounded by limit even when
// ctx is already done (the job being cancelled), and by cancelGrace once it
// is. It reports whether the platform accepted.
func (f *flow) cancelRun(ctx context.Context, limit time.Duration) bool {
	sctx, stop := grace.After(ctx, cancelGrace)
	defer stop()
	if ctx.Err() != nil {
		sctx = context.WithoutCancel(ctx) // limit alone bounds it
	}
	cctx, cancel := context.WithTimeout(sctx, limit)
	defer cancel()
	if err := f.Client.CancelTestRun(cctx, f.ID); err != nil {
		f.Log.Warning("Cancel failed", fmt.Sprintf("could not cancel %s: %v; it may still be spending credits: cancel it in the SPLX Probe web UI", f.runRef(), err))
		return false
	}
	f.Log.Info(fmt.Sprintf("Cancelled test run %d (results so far are kept).", f.ID))
	return true
}

// aborted handles the job being cancelled while doing (triggering or
// waiting for) the run.
func (f *flow) aborted(ctx context.Context, last *probe.TestRunStatus, doing string) error {
	f.Log.Warning("Interrupted", fmt.Sprintf("the job was cancelled while %s test run %d", doing, f.ID))
	if f.Settings.CancelOnAbort {
		f.cancelRun(ctx, cancelGrace)
	} else {
		f.Log.Info(fmt.Sprintf("Test run %d goes on (cancel-on-abort is false).", f.ID))
	}
	f.outputs(statusOf(last), ExitInterrupted.Result())
	return &InterruptedError{Msg: fmt.Sprintf("no verdict: the job was cancelled while %s test run %d", doing, f.ID)}
}
