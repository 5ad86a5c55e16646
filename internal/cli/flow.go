package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/deliver"
	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/probe"
	"github.com/splx-ai/splx-probe-action/internal/render"
	"github.com/splx-ai/splx-probe-action/internal/rerun"
)

// The runner kills the container 10 s after its first signal (SIGINT, then
// SIGTERM at 7.5 s, then SIGKILL at 10 s). Within that: a trigger already
// sent gets triggerGrace to answer, then the cancel gets cancelGrace.
const (
	triggerGrace = 4 * time.Second
	cancelGrace  = 5 * time.Second
)

// flow is one run of the tool with validated settings. It orchestrates:
// the API client talks, the gate judges, report renders, the reporter
// speaks to the platform; the flow returns an error that Command.Run maps
// to the exit code.
type flow struct {
	// Run is what the destinations are told: settings, context, client,
	// the run's id, deadline and result.
	*deliver.Run
	// baseline is the earlier run to compare with (nil: none).
	baseline *gate.Baseline
	// triggeredAt is when this tool's trigger answered (zero when attached
	// to a run given by test-run-id): a status poll soon after may not find
	// the run yet.
	triggeredAt time.Time
	// start is when the flow began.
	start time.Time
	// outputsSet records that the outputs were written, so that every exit
	// path sets result and status exactly once.
	outputsSet bool
	// reused is the recorded run this attempt re-attached to (nil: it
	// triggered, or attached by test-run-id); reuseChecked is set once its
	// first status was read (see stale).
	reused       *rerun.Record
	reuseChecked bool
}

// runRef names the run for a message: its link when there is one.
func (f *flow) runRef() string {
	if u := f.URL(); u != "" {
		return fmt.Sprintf("test run %d (%s)", f.ID, u)
	}
	return fmt.Sprintf("test run %d", f.ID)
}

func (f *flow) run(ctx context.Context) error {
	f.start = f.Clock.Now()
	f.Deadline = f.start.Add(time.Duration(f.Settings.Timeout))
	if f.Settings.Attach() {
		f.ID = int32(f.Settings.TestRunID)
		f.Log.Info(fmt.Sprintf("Attaching to test run %d at %s", f.ID, f.Settings.APIURL.Host))
	} else if rec := f.reusable(); rec != nil {
		f.reuse(rec)
	} else if err := f.trigger(ctx); err != nil {
		return err
	}
	if !f.Settings.Wait {
		if f.reused != nil {
			if err := f.checkReused(ctx); err != nil {
				return err
			}
		}
		f.outputs("triggered", "pending")
		f.Log.Info("Not waiting for the run (set wait: true to gate the job on its findings).")
		f.Started = &render.Started{TestRunID: f.ID, TargetID: int32(f.Settings.TargetID), URL: f.URL(), ProbeIDs: f.Settings.ProbeIDs, UI: f.Settings.UIURL, Reused: f.reusedNote()}
		return nil
	}
	return f.wait(ctx)
}

// outputs writes the outputs of an exit without a result, and remembers
// that they were written.
func (f *flow) outputs(status, result string) {
	f.outputsSet = true
	f.Log.Outputs(deliver.Base(f.Run, status, result))
}

// publish delivers a judged run (ended, or timed out) to every destination.
// A report that could not be written is a *deliver.WriteError, so that a
// missing report never passes unnoticed.
func (f *flow) publish(ctx context.Context, res *gate.Result, ended bool) error {
	f.Result, f.Ended, f.outputsSet = res, ended, true
	res.Elapsed = f.Clock.Now().Sub(f.start)
	return deliver.Verdict(ctx, f.Run)
}

// freshRunGrace is how long after this tool's own trigger a status poll's
// 400 or 404 is retried: the docs say nothing of read-after-write lag.
const freshRunGrace = 60 * time.Second

// wait polls the run until it ends, the wait times out or the job is
// cancelled, then reports. Time is the clock's: no request or pause
// outlasts what is left of the timeout.
func (f *flow) wait(ctx context.Context) error {
	f.Log.Group(fmt.Sprintf("Waiting for test run %d (timeout %s, polling every %s)", f.ID, time.Duration(f.Settings.Timeout), time.Duration(f.Settings.PollInterval)))
	var first, last *probe.TestRunStatus
	defer func() {
		// The shape of the first and last answers, with --debug: one line
		// that answers the docs' open questions, without any value.
		if last != nil && last != first {
			f.Log.Debug("status answer shape (last): " + last.Shape.String())
		}
	}()
	lagRetries := 0
	for {
		left := f.Deadline.Sub(f.Clock.Now())
		if left <= 0 {
			f.Log.EndGroup()
			return f.timedOut(ctx, last)
		}
		pctx, cancel := context.WithTimeout(ctx, left)
		st, err := f.Client.TestRunStatus(pctx, f.ID)
		timedOut := pctx.Err() == context.DeadlineExceeded
		cancel()
		if wait, ok := f.lagRetry(err, lagRetries); ok && ctx.Err() == nil && !timedOut {
			lagRetries++
			wait = min(wait, left)
			f.Log.Info(fmt.Sprintf("Retrying read test run status in %s: test run %d was just triggered and the API may not know it yet (%v)", wait, f.ID, err))
			select {
			case <-ctx.Done():
				f.Log.EndGroup()
				return f.aborted(ctx, last, "waiting for")
			case <-f.Clock.After(wait):
			}
			continue
		}
		switch {
		case ctx.Err() != nil:
			f.Log.EndGroup()
			return f.aborted(ctx, last, "waiting for")
		case err != nil && timedOut:
			f.Log.EndGroup()
			return f.timedOut(ctx, last)
		case f.stale(st, err):
			f.Log.EndGroup()
			if err := f.trigger(ctx); err != nil {
				return err
			}
			return f.wait(ctx)
		case err != nil:
			f.Log.EndGroup()
			err = f.waitFailed(ctx, err)
			f.outputs(statusOf(last), exitCode(err).Result())
			return err
		}
		if first == nil {
			first = st
			f.Log.Debug("status answer shape (first): " + st.Shape.String())
		}
		last = st
		pr := render.ProgressOf(st)
		pr.Elapsed, pr.Timeout = f.Clock.Now().Sub(f.start), time.Duration(f.Settings.Timeout)
		f.Log.Progress(pr)
		if probe.PhaseOf(st.Status).Terminal() {
			f.Log.EndGroup()
			return f.finish(ctx, st)
		}
		select {
		case <-ctx.Done():
			f.Log.EndGroup()
			return f.aborted(ctx, last, "waiting for")
		case <-f.Clock.After(min(time.Duration(f.Settings.PollInterval), left)):
		}
	}
}

// lagRetry says whether a failed poll is retried as read-after-write lag,
// and after how long: a 400 or 404 within freshRunGrace of this tool's own
// trigger, with backoff like the client's for a 5xx (1 s, 2 s, 4 s, … at
// most 15 s), never past the grace. For a run given by test-run-id a 400 or
// 404 is final.
func (f *flow) lagRetry(err error, retries int) (time.Duration, bool) {
	if f.triggeredAt.IsZero() || !unknownRun(err) {
		return 0, false
	}
	left := f.triggeredAt.Add(freshRunGrace).Sub(f.Clock.Now())
	if left <= 0 {
		return 0, false
	}
	return min(time.Second<<min(retries, 4), 15*time.Second, left), true
}

// unknownRun reports a status read answered 400 or 404: the API does not
// know the run (not yet, or no longer).
func unknownRun(err error) bool {
	var er *probe.ErrorResponse
	return errors.As(err, &er) && (er.BadRequest() || er.StatusCode == http.StatusNotFound)
}

func statusOf(st *probe.TestRunStatus) string {
	if st == nil {
		return ""
	}
	return st.Status
}

func (f *flow) thresholds() gate.Thresholds {
	return gate.Thresholds{
		MaxFailed:            (*int64)(f.Settings.MaxFailed),
		MaxFailedPercent:     (*float64)(f.Settings.MaxFailedPercent),
		MaxErrorPercent:      (*float64)(f.Settings.MaxErrorPercent),
		Baseline:             f.baseline,
		MaxRegressionPercent: float64(f.Settings.MaxRegression),
	}
}

func (f *flow) timedOut(ctx context.Context, last *probe.TestRunStatus) error {
	cancelled := false
	if f.Settings.CancelOnTimeout {
		cancelled = f.cancelRun(ctx, 30*time.Second)
	}
	res := &gate.Result{TestRunID: f.ID, Thresholds: f.thresholds()}
	if last != nil {
		res = gate.Summarise(last, f.thresholds(), f.URL())
	}
	res.TargetID = int32(f.Settings.TargetID)
	res.Reused = f.reusedNote()
	res.Verdict = gate.TimedOut
	lastStatus, pct := "none read", ""
	if last != nil {
		lastStatus, pct = last.Status, fmt.Sprintf(", %.0f%% done", render.ProgressOf(last).Percent)
	}
	res.Reason = fmt.Sprintf("the run did not end within the %s timeout (last status %s%s)", time.Duration(f.Settings.Timeout), escape.Line(lastStatus, 40), pct)
	werr := f.publish(ctx, res, false)
	advice := "raise timeout, or attach later with test-run-id: " + strconv.Itoa(int(f.ID))
	switch {
	case cancelled:
		advice = "raise timeout; the run was cancelled"
	case bool(f.Settings.CancelOnTimeout):
		advice = "raise timeout; cancelling the run failed, so it may still be spending credits: cancel " + f.runRef() + " in the SPLX Probe web UI"
	}
	return errors.Join(werr, &VerdictError{Verdict: gate.TimedOut, Msg: fmt.Sprintf("test run %d: %s; %s", f.ID, res.Reason, advice)})
}

// finish judges a run that ended and reports it everywhere.
func (f *flow) finish(ctx context.Context, st *probe.TestRunStatus) error {
	res := gate.Evaluate(st, f.thresholds(), f.Settings.ProbeIDs, f.URL())
	res.TestRunID = f.ID
	res.TargetID = int32(f.Settings.TargetID)
	for _, w := range res.Warnings {
		f.Log.Warning("Probe ids", w)
	}
	res.Reused = f.reusedNote()
	// The verdict is annotated with the probes, first where annotations
	// are listed and last in a log; the exit then does not repeat it.
	var verr *VerdictError
	verdict := ci.Note{Title: "SPLX Probe gate passed", Msg: fmt.Sprintf("test run %d: %s", f.ID, res.Reason), OK: true}
	switch res.Verdict {
	case gate.Passed:
	case gate.Failed:
		verr = &VerdictError{Verdict: gate.Failed, Msg: fmt.Sprintf("test run %d: %s", f.ID, res.Reason)}
	default:
		verr = &VerdictError{Verdict: gate.NoVerdict, Msg: fmt.Sprintf("test run %d ended %s: %s", f.ID, escape.Line(st.Status, 40), res.Reason)}
	}
	if verr != nil {
		verdict.Title, verdict.Msg = annotation(verr, f.Settings)
		verdict.OK, verr.Shown = false, true
	}
	f.Verdict = &verdict
	werr := f.publish(ctx, res, true)
	if verr == nil {
		return werr
	}
	return errors.Join(werr, verr)
}
