package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/probe"
)

// maxTriggerRetryWait caps one wait between trigger attempts when the tool
// does not wait for the run (with wait, the timeout bounds it).
const maxTriggerRetryWait = 60 * time.Second

func (f *flow) trigger(ctx context.Context) error {
	name := string(f.Settings.Name)
	if name == "" {
		name = f.CI.DefaultRunName(f.Clock.Now())
	}
	f.Log.Info(fmt.Sprintf("Triggering test run %q on target %d with probes %s at %s", escape.Line(name, 200), f.Settings.TargetID, gate.JoinIDs(f.Settings.ProbeIDs), f.Settings.APIURL.Host))
	// With wait, the retries end with the timeout; the request itself is
	// never cut by it (the client lets a trigger in flight answer).
	tctx := ctx
	if f.Settings.Wait {
		var cancel context.CancelFunc
		tctx, cancel = context.WithTimeout(ctx, time.Duration(f.Settings.Timeout))
		defer cancel()
	}
	resp, err := f.Client.TriggerTestRun(tctx, &probe.TriggerRequest{
		TargetID: int32(f.Settings.TargetID), ProbeIDs: f.Settings.ProbeIDs, Name: name,
		NotifyWhenFinished: bool(f.Settings.NotifyWhenFinished), RunAIAnalysis: bool(f.Settings.RunAIAnalysis),
	}, string(f.Settings.WorkspaceID))
	if err != nil {
		if ctx.Err() != nil {
			return &InterruptedError{Msg: "the job was cancelled while triggering the test run, and no answer came within the grace period; a run may have been started: check the target's test runs in the SPLX Probe web UI"}
		}
		return err
	}
	f.ID, f.triggeredAt = resp.TestRunID, f.Clock.Now()
	// Which path the service takes is an open question of the docs: say it.
	f.Log.Debug("trigger answered by POST " + resp.Path)
	if resp.Path != probe.TriggerPath {
		f.Log.Info(fmt.Sprintf("The documented trigger path POST %s answered 404 or 405 (nothing created); the workspace-scoped POST %s answered.", probe.TriggerPath, resp.Path))
	}
	// Recorded before anything else, so that a re-run of a job cancelled
	// or timed out from here on re-attaches instead of paying again.
	f.record()
	if ctx.Err() != nil {
		// The job was cancelled while the trigger was in flight: the run it
		// created would spend credits unseen.
		return f.aborted(ctx, nil, "triggering")
	}
	msg := fmt.Sprintf("Test run %d on target %d with probes %s", f.ID, f.Settings.TargetID, gate.JoinIDs(f.Settings.ProbeIDs))
	if u := f.URL(); u != "" {
		msg += ": " + u
	}
	f.Log.Notice("SPLX Probe test run started", msg)
	return nil
}
