package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/deliver"
	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/grace"
	"github.com/splx-ai/splx-probe-action/internal/probe"
	"github.com/splx-ai/splx-probe-action/internal/redact"
	"github.com/splx-ai/splx-probe-action/internal/report"
)

// The runner kills the container 10 s after its first signal (SIGINT, then
// SIGTERM at 7.5 s, then SIGKILL at 10 s). Within that: a trigger already
// sent gets triggerGrace to answer, then the cancel gets cancelGrace.
const (
	triggerGrace = 4 * time.Second
	cancelGrace  = 5 * time.Second
)

// maxTriggerRetryWait caps one wait between trigger attempts when the tool
// does not wait for the run (with wait, the timeout bounds it).
const maxTriggerRetryWait = 60 * time.Second

// flow is one run of the tool with validated settings. It orchestrates:
// the API client talks, the gate judges, report renders, the reporter
// speaks to the platform; the flow returns an error that Command.Run maps
// to the exit code.
type flow struct {
	cfg     *config.Config
	rep     ci.Reporter
	client  *probe.Client
	ci      ci.Context
	clock   Clock
	version string
	redact  *redact.Redactor
	// baseline is the earlier run to compare with (nil: none).
	baseline *gate.Baseline
	// id is the run triggered or attached to (0 before).
	id int32
	// triggeredAt is when this tool's trigger answered (zero when attached
	// to a run given by test-run-id): a status poll soon after may not find
	// the run yet.
	triggeredAt time.Time
	// deadline ends the wait: the start plus timeout, on the clock.
	deadline time.Time
	// outputsSet records that the outputs were written, so that every exit
	// path sets result and status exactly once.
	outputsSet bool
	// res is the result published (nil before); started is set for a run
	// triggered without waiting. The pull request comment shows them.
	res     *gate.Result
	started *report.Started
}

// runRef names a run for a message: its link when there is one.
func (f *flow) runRef(id int32) string {
	if u := f.cfg.RunURL(id); u != "" {
		return fmt.Sprintf("test run %d (%s)", id, u)
	}
	return fmt.Sprintf("test run %d", id)
}

func (f *flow) run(ctx context.Context) error {
	f.deadline = f.clock.Now().Add(time.Duration(f.cfg.Timeout))
	if f.cfg.Attach() {
		f.id = int32(f.cfg.TestRunID)
		f.rep.Info(fmt.Sprintf("Attaching to test run %d at %s", f.id, f.cfg.APIURL.Host))
	} else if err := f.trigger(ctx); err != nil {
		return err
	}
	if !f.cfg.Wait {
		f.outputs("triggered", "pending")
		f.rep.Info("Not waiting for the run (set wait: true to gate the job on its findings).")
		f.started = &report.Started{TestRunID: f.id, TargetID: int32(f.cfg.TargetID), URL: f.cfg.RunURL(f.id), ProbeIDs: f.cfg.ProbeIDs}
		return nil
	}
	return f.wait(ctx)
}

// outputs writes the outputs of an exit without a result, and remembers
// that they were written.
func (f *flow) outputs(status, result string) {
	f.outputsSet = true
	f.rep.Outputs(deliver.Base(f.delivery(), status, result))
}

// delivery describes the run to the destinations.
func (f *flow) delivery() *deliver.Run {
	return &deliver.Run{
		Settings: f.cfg, CI: f.ci, Log: f.rep, Redact: f.redact, Clock: f.clock, Version: f.version,
		Client: f.client, ID: f.id, Result: f.res, Started: f.started, Deadline: f.deadline,
	}
}

// publish delivers a judged run (ended, or timed out) to every destination.
// A report that could not be written is a *deliver.WriteError, so that a
// missing report never passes unnoticed.
func (f *flow) publish(ctx context.Context, res *gate.Result, ended bool) error {
	f.res = res
	r := f.delivery()
	r.Ended = ended
	f.outputsSet = true
	return deliver.Verdict(ctx, r)
}

func (f *flow) trigger(ctx context.Context) error {
	name := string(f.cfg.Name)
	if name == "" {
		name = f.ci.DefaultRunName(f.clock.Now())
	}
	f.rep.Info(fmt.Sprintf("Triggering test run %q on target %d with probes %s at %s", escape.Line(name, 200), f.cfg.TargetID, report.JoinIDs(f.cfg.ProbeIDs), f.cfg.APIURL.Host))
	// With wait, the retries end with the timeout; the request itself is
	// never cut by it (the client lets a trigger in flight answer).
	tctx := ctx
	if f.cfg.Wait {
		var cancel context.CancelFunc
		tctx, cancel = context.WithTimeout(ctx, time.Duration(f.cfg.Timeout))
		defer cancel()
	}
	resp, err := f.client.TriggerTestRun(tctx, &probe.TriggerRequest{
		TargetID: int32(f.cfg.TargetID), ProbeIDs: f.cfg.ProbeIDs, Name: name,
		NotifyWhenFinished: bool(f.cfg.NotifyWhenFinished), RunAIAnalysis: bool(f.cfg.RunAIAnalysis),
	}, string(f.cfg.WorkspaceID))
	if err != nil {
		if ctx.Err() != nil {
			return &InterruptedError{Msg: "the job was cancelled while triggering the test run, and no answer came within the grace period; a run may have been started: check the target's test runs in the SPLX Probe web UI"}
		}
		return err
	}
	f.id, f.triggeredAt = resp.TestRunID, f.clock.Now()
	// Which path the service takes is an open question of the docs: say it.
	f.rep.Debug("trigger answered by POST " + resp.Path)
	if resp.Path != probe.TriggerPath {
		f.rep.Info(fmt.Sprintf("The documented trigger path POST %s answered 404 or 405 (nothing created); the workspace-scoped POST %s answered.", probe.TriggerPath, resp.Path))
	}
	if ctx.Err() != nil {
		// The job was cancelled while the trigger was in flight: the run it
		// created would spend credits unseen.
		return f.aborted(ctx, nil, "triggering")
	}
	msg := fmt.Sprintf("Test run %d on target %d with probes %s", f.id, f.cfg.TargetID, report.JoinIDs(f.cfg.ProbeIDs))
	if u := f.cfg.RunURL(f.id); u != "" {
		msg += ": " + u
	}
	f.rep.Notice("SPLX Probe test run started", msg)
	return nil
}

// freshRunGrace is how long after this tool's own trigger a status poll's
// 400 or 404 is retried: the docs say nothing of read-after-write lag.
const freshRunGrace = 60 * time.Second

// wait polls the run until it ends, the wait times out or the job is
// cancelled, then reports. Time is the clock's: no request or pause
// outlasts what is left of the timeout.
func (f *flow) wait(ctx context.Context) error {
	f.rep.Group(fmt.Sprintf("Waiting for test run %d (timeout %s, polling every %s)", f.id, time.Duration(f.cfg.Timeout), time.Duration(f.cfg.PollInterval)))
	var first, last *probe.TestRunStatus
	defer func() {
		// The shape of the first and last answers, with --debug: one line
		// that answers the docs' open questions, without any value.
		if last != nil && last != first {
			f.rep.Debug("status answer shape (last): " + last.Shape.String())
		}
	}()
	lagRetries := 0
	for {
		left := f.deadline.Sub(f.clock.Now())
		if left <= 0 {
			f.rep.EndGroup()
			return f.timedOut(ctx, last)
		}
		pctx, cancel := context.WithTimeout(ctx, left)
		st, err := f.client.TestRunStatus(pctx, f.id)
		timedOut := pctx.Err() == context.DeadlineExceeded
		cancel()
		if wait, ok := f.lagRetry(err, lagRetries); ok && ctx.Err() == nil && !timedOut {
			lagRetries++
			wait = min(wait, left)
			f.rep.Info(fmt.Sprintf("Retrying read test run status in %s: test run %d was just triggered and the API may not know it yet (%v)", wait, f.id, err))
			select {
			case <-ctx.Done():
				f.rep.EndGroup()
				return f.aborted(ctx, last, "waiting for")
			case <-f.clock.After(wait):
			}
			continue
		}
		switch {
		case ctx.Err() != nil:
			f.rep.EndGroup()
			return f.aborted(ctx, last, "waiting for")
		case err != nil && timedOut:
			f.rep.EndGroup()
			return f.timedOut(ctx, last)
		case err != nil:
			f.rep.EndGroup()
			err = f.waitFailed(ctx, err)
			f.outputs(statusOf(last), exitCode(err).Result())
			return err
		}
		if first == nil {
			first = st
			f.rep.Debug("status answer shape (first): " + st.Shape.String())
		}
		last = st
		f.rep.Progress(report.ProgressOf(st))
		if probe.PhaseOf(st.Status).Terminal() {
			f.rep.EndGroup()
			return f.finish(ctx, st)
		}
		select {
		case <-ctx.Done():
			f.rep.EndGroup()
			return f.aborted(ctx, last, "waiting for")
		case <-f.clock.After(min(time.Duration(f.cfg.PollInterval), left)):
		}
	}
}

// lagRetry says whether a failed poll is retried as read-after-write lag,
// and after how long: a 400 or 404 within freshRunGrace of this tool's own
// trigger, with backoff like the client's for a 5xx (1 s, 2 s, 4 s, … at
// most 15 s), never past the grace. For a run given by test-run-id a 400 or
// 404 is final.
func (f *flow) lagRetry(err error, retries int) (time.Duration, bool) {
	var er *probe.ErrorResponse
	if f.triggeredAt.IsZero() || !errors.As(err, &er) || (er.StatusCode != http.StatusBadRequest && er.StatusCode != http.StatusNotFound) {
		return 0, false
	}
	left := f.triggeredAt.Add(freshRunGrace).Sub(f.clock.Now())
	if left <= 0 {
		return 0, false
	}
	return min(time.Second<<min(retries, 4), 15*time.Second, left), true
}

// waitFailed adds to the error that ended a wait on a run this tool
// triggered what that means: the run may go on spending credits. With
// cancel-on-timeout, the run is cancelled, as after a timeout.
func (f *flow) waitFailed(ctx context.Context, err error) error {
	if f.triggeredAt.IsZero() {
		return err
	}
	if bool(f.cfg.CancelOnTimeout) && f.cancelRun(ctx, 30*time.Second) {
		return fmt.Errorf("%w; the wait for %s ended on this failure, so the run was cancelled (cancel-on-timeout)", err, f.runRef(f.id))
	}
	return fmt.Errorf("%w; the wait for %s ended on this failure, but the run may still be going on and spending credits: attach to it later with test-run-id: %d, or cancel it in the SPLX Probe web UI", err, f.runRef(f.id), f.id)
}

func statusOf(st *probe.TestRunStatus) string {
	if st == nil {
		return ""
	}
	return st.Status
}

func (f *flow) thresholds() gate.Thresholds {
	return gate.Thresholds{
		MaxFailed:            (*int64)(f.cfg.MaxFailed),
		MaxFailedPercent:     (*float64)(f.cfg.MaxFailedPercent),
		MaxErrorPercent:      (*float64)(f.cfg.MaxErrorPercent),
		Baseline:             f.baseline,
		MaxRegressionPercent: float64(f.cfg.MaxRegression),
	}
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
	if err := f.client.CancelTestRun(cctx, f.id); err != nil {
		f.rep.Warning("Cancel failed", fmt.Sprintf("could not cancel %s: %v; it may still be spending credits: cancel it in the SPLX Probe web UI", f.runRef(f.id), err))
		return false
	}
	f.rep.Info(fmt.Sprintf("Cancelled test run %d (results so far are kept).", f.id))
	return true
}

// aborted handles the job being cancelled while doing (triggering or
// waiting for) the run.
func (f *flow) aborted(ctx context.Context, last *probe.TestRunStatus, doing string) error {
	f.rep.Warning("Interrupted", fmt.Sprintf("the job was cancelled while %s test run %d", doing, f.id))
	if f.cfg.CancelOnAbort {
		f.cancelRun(ctx, cancelGrace)
	} else {
		f.rep.Info(fmt.Sprintf("Test run %d goes on (cancel-on-abort is false).", f.id))
	}
	f.outputs(statusOf(last), ExitInterrupted.Result())
	return &InterruptedError{Msg: fmt.Sprintf("no verdict: the job was cancelled while %s test run %d", doing, f.id)}
}

func (f *flow) timedOut(ctx context.Context, last *probe.TestRunStatus) error {
	cancelled := false
	if f.cfg.CancelOnTimeout {
		cancelled = f.cancelRun(ctx, 30*time.Second)
	}
	res := &gate.Result{TestRunID: f.id, Thresholds: f.thresholds()}
	if last != nil {
		res = gate.Summarise(last, f.thresholds(), f.cfg.RunURL(f.id))
	}
	res.TargetID = int32(f.cfg.TargetID)
	res.Verdict = gate.TimedOut
	lastStatus, pct := "none read", ""
	if last != nil {
		lastStatus, pct = last.Status, fmt.Sprintf(", %.0f%% done", report.ProgressOf(last).Percent)
	}
	res.Reason = fmt.Sprintf("the run did not end within the %s timeout (last status %s%s)", time.Duration(f.cfg.Timeout), escape.Line(lastStatus, 40), pct)
	werr := f.publish(ctx, res, false)
	advice := "raise timeout, or attach later with test-run-id: " + strconv.Itoa(int(f.id))
	switch {
	case cancelled:
		advice = "raise timeout; the run was cancelled"
	case bool(f.cfg.CancelOnTimeout):
		advice = "raise timeout; cancelling the run failed, so it may still be spending credits: cancel " + f.runRef(f.id) + " in the SPLX Probe web UI"
	}
	return errors.Join(werr, &VerdictError{Verdict: gate.TimedOut, Msg: fmt.Sprintf("test run %d: %s; %s", f.id, res.Reason, advice)})
}

// finish judges a run that ended and reports it everywhere.
func (f *flow) finish(ctx context.Context, st *probe.TestRunStatus) error {
	res := gate.Evaluate(st, f.thresholds(), f.cfg.ProbeIDs, f.cfg.RunURL(f.id))
	res.TestRunID = f.id
	res.TargetID = int32(f.cfg.TargetID)
	for _, w := range res.Warnings {
		f.rep.Warning("Probe ids", w)
	}
	werr := f.publish(ctx, res, true)
	switch res.Verdict {
	case gate.Passed:
		f.rep.Notice("SPLX Probe gate passed", fmt.Sprintf("test run %d: %s", f.id, res.Reason))
		return werr
	case gate.Failed:
		return errors.Join(werr, &VerdictError{Verdict: gate.Failed, Msg: fmt.Sprintf("test run %d: %s", f.id, res.Reason)})
	}
	return errors.Join(werr, &VerdictError{Verdict: gate.NoVerdict, Msg: fmt.Sprintf("test run %d ended %s: %s", f.id, escape.Line(st.Status, 40), res.Reason)})
}
