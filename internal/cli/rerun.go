package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/atomic"
	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/probe"
	"github.com/splx-ai/splx-probe-action/internal/rerun"
)

// identity is what a recorded run must have been triggered for to be
// reused by this step. The name and comment key count as given ("" for
// their defaults, which derive from the repository, commit, CI run and
// job, all compared on their own); both are redacted as the file is.
func (f *flow) identity() rerun.Identity {
	return rerun.Identity{
		Platform: string(f.CI.Platform), Repository: f.CI.Repository, CIRun: f.CI.CIRun, Job: f.CI.Job,
		CommentKey: f.Redact.String(string(f.Settings.CommentKey)), Commit: f.CI.Commit, APIHost: f.Settings.APIURL.Host,
		TargetID: int32(f.Settings.TargetID), ProbeIDs: f.Settings.ProbeIDs, Name: f.Redact.String(string(f.Settings.Name)),
	}
}

// reusable returns the run recorded in state-path that this attempt may
// re-attach to, or nil. Every reason not to reuse a record is one line,
// and none stops the trigger.
func (f *flow) reusable() *rerun.Record {
	path := string(f.Settings.StatePath)
	if path == "" {
		return nil
	}
	shown := escape.Line(path, 200)
	rec, err := rerun.Read(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f.Log.Debug(fmt.Sprintf("No re-run record in %s: this is the step's first attempt.", shown))
		return nil
	case err != nil:
		f.Log.Warning("Re-run record ignored", fmt.Sprintf("ignoring the state file %s: %v; triggering a new test run", shown, atomic.Cause(err)))
		return nil
	}
	if why := rec.Identity.Mismatch(f.identity()); why != "" {
		f.Log.Info(fmt.Sprintf("Not reusing test run %d recorded in %s: %s; triggering a new test run.", rec.TestRunID, shown, escape.Line(why, 300)))
		return nil
	}
	if rec.Attempt != "" && rec.Attempt == f.CI.Attempt {
		// Not a re-run: an earlier step of this very attempt ran the same
		// test, and asked for a run of its own.
		f.Log.Info(fmt.Sprintf("Not reusing test run %d recorded in %s: this attempt triggered it (an earlier step runs the same test); triggering a new test run.", rec.TestRunID, shown))
		return nil
	}
	if f.Settings.Rerun == "trigger" {
		f.Log.Info(fmt.Sprintf("Not reusing test run %d, triggered by %s (rerun: trigger); triggering a new test run.", rec.TestRunID, f.triggeredBy(rec)))
		return nil
	}
	return rec
}

// triggeredBy names the attempt that triggered a recorded run.
func (f *flow) triggeredBy(rec *rerun.Record) string {
	return f.CI.AttemptLabel(escape.Line(rec.Attempt, 20))
}

// reuse attaches to a recorded run instead of triggering one.
func (f *flow) reuse(rec *rerun.Record) {
	f.ID, f.reused = rec.TestRunID, rec
	msg := fmt.Sprintf("Re-attaching to test run %d, triggered by %s: no credits spent", f.ID, f.triggeredBy(rec))
	if u := f.URL(); u != "" {
		msg += ": " + u
	}
	f.Log.Notice("SPLX Probe test run reused", msg)
}

// reusedNote says, for the job summary and the comment, that the run was
// reused ("" when this attempt triggered it).
func (f *flow) reusedNote() string {
	if f.reused == nil {
		return ""
	}
	return fmt.Sprintf("reused: triggered by %s, so this attempt spent no credits", f.triggeredBy(f.reused))
}

// stale reports, on the first status read of a reused run, whether that
// run cannot be judged: it ended ERROR or cancelled, or the API answers
// that it does not know it (400 or 404: deleted, or never on this
// platform). It then drops the reuse, so that the switch to a trigger
// happens once and before anything was judged. A failure that decides
// nothing (the network) leaves the question to the next read.
func (f *flow) stale(st *probe.TestRunStatus, err error) bool {
	if f.reused == nil || f.reuseChecked {
		return false
	}
	var why string
	switch {
	case err == nil:
		f.reuseChecked = true
		if ph := probe.PhaseOf(st.Status); ph != probe.PhaseError && ph != probe.PhaseCanceled {
			return false
		}
		why = fmt.Sprintf("ended %s: it produced nothing to judge", escape.Line(st.Status, 40))
	case unknownRun(err):
		why = fmt.Sprintf("is not known to the API (%v)", err)
	default:
		return false
	}
	f.reuseChecked = true
	f.Log.Info(fmt.Sprintf("Test run %d, triggered by %s, %s; triggering a new test run.", f.ID, f.triggeredBy(f.reused), why))
	f.reused, f.ID = nil, 0
	return true
}

// checkReused reads a reused run's status once when the step does not
// wait, so that a dead run is replaced then too. A status that cannot be
// read keeps the reuse: triggering on a network error could pay twice.
func (f *flow) checkReused(ctx context.Context) error {
	sctx, cancel := context.WithTimeout(ctx, time.Duration(f.Settings.RequestTimeout))
	st, err := f.Client.TestRunStatus(sctx, f.ID)
	cancel()
	switch {
	case f.stale(st, err):
		return f.trigger(ctx)
	case ctx.Err() != nil:
		return &InterruptedError{Msg: fmt.Sprintf("the job was cancelled while checking test run %d", f.ID)}
	case err != nil && exitCode(err) == ExitAuth:
		return err
	case err != nil:
		f.Log.Info(fmt.Sprintf("Could not read the status of test run %d (%v); reusing it as recorded.", f.ID, err))
	}
	return nil
}

// record writes the run just triggered to state-path, so that a re-run of
// the job re-attaches to it. A record that cannot be written is a warning:
// the run is started, and only a later re-run would pay again.
func (f *flow) record() {
	path := string(f.Settings.StatePath)
	if path == "" {
		return
	}
	rec := &rerun.Record{Identity: f.identity(), TestRunID: f.ID, Attempt: f.CI.Attempt, TriggeredAt: f.Clock.Now().UTC()}
	if err := rerun.Write(path, rec); err != nil {
		f.Log.Warning("Re-run record", fmt.Sprintf("could not record test run %d in %s: %v; a re-run of this job will trigger a new run", f.ID, escape.Line(path, 200), err))
		return
	}
	f.Log.Debug(fmt.Sprintf("Recorded test run %d in %s for re-runs.", f.ID, escape.Line(path, 200)))
}
