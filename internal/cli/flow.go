package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/probe"
	"github.com/splx-ai/splx-probe-action/internal/redact"
	"github.com/splx-ai/splx-probe-action/internal/report"
	"github.com/splx-ai/splx-probe-action/internal/rerun"
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
	// start is when the flow began, and deadline ends the wait: the start
	// plus timeout, on the clock.
	start, deadline time.Time
	// outputsSet records that the outputs were written, so that every exit
	// path sets result and status exactly once.
	outputsSet bool
	// res is the result published (nil before); started is set for a run
	// triggered without waiting. The pull request comment shows them.
	res     *gate.Result
	started *report.Started
	// reused is the recorded run this attempt re-attached to (nil: it
	// triggered, or attached by test-run-id); reuseChecked is set once its
	// first status was read (see stale).
	reused       *rerun.Record
	reuseChecked bool
}

func (f *flow) runURL(id int32) string {
	if f.cfg.WorkspaceID == "" || f.cfg.TargetID == 0 {
		return ""
	}
	return fmt.Sprintf("%s/w/%s/target/%d/test-runs/%d", f.cfg.UIURL, f.cfg.WorkspaceID, f.cfg.TargetID, id)
}

// runRef names a run for a message: its link when there is one.
func (f *flow) runRef(id int32) string {
	if u := f.runURL(id); u != "" {
		return fmt.Sprintf("test run %d (%s)", id, u)
	}
	return fmt.Sprintf("test run %d", id)
}

func (f *flow) run(ctx context.Context) error {
	f.start = f.clock.Now()
	f.deadline = f.start.Add(time.Duration(f.cfg.Timeout))
	if f.cfg.Attach() {
		f.id = int32(f.cfg.TestRunID)
		f.rep.Info(fmt.Sprintf("Attaching to test run %d at %s", f.id, f.cfg.APIURL.Host))
	} else if rec := f.reusable(); rec != nil {
		f.reuse(rec)
	} else if err := f.trigger(ctx); err != nil {
		return err
	}
	if !f.cfg.Wait {
		if f.reused != nil {
			if err := f.checkReused(ctx); err != nil {
				return err
			}
		}
		f.outputs(f.baseOutputs(f.id, "triggered", "pending"))
		f.rep.Info("Not waiting for the run (set wait: true to gate the job on its findings).")
		f.started = &report.Started{TestRunID: f.id, TargetID: int32(f.cfg.TargetID), URL: f.runURL(f.id), ProbeIDs: f.cfg.ProbeIDs, UI: f.cfg.UIURL, Reused: f.reusedNote()}
		return nil
	}
	return f.wait(ctx)
}

// resultOf is the result output of an exit path.
func resultOf(code ExitCode) string {
	switch code {
	case ExitGateFailed:
		return string(gate.Failed)
	case ExitNoVerdict:
		return string(gate.NoVerdict)
	case ExitTimeout:
		return string(gate.TimedOut)
	case ExitInterrupted:
		return "interrupted"
	}
	return "error"
}

// outputs writes the outputs and remembers that they were written.
func (f *flow) outputs(outs []ci.Output) {
	f.outputsSet = true
	f.rep.Outputs(outs)
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
	// Recorded before anything else, so that a re-run of a job cancelled
	// or timed out from here on re-attaches instead of paying again.
	f.record()
	if ctx.Err() != nil {
		// The job was cancelled while the trigger was in flight: the run it
		// created would spend credits unseen.
		return f.aborted(ctx, nil, "triggering")
	}
	msg := fmt.Sprintf("Test run %d on target %d with probes %s", f.id, f.cfg.TargetID, report.JoinIDs(f.cfg.ProbeIDs))
	if u := f.runURL(f.id); u != "" {
		msg += ": " + u
	}
	f.rep.Notice("SPLX Probe test run started", msg)
	return nil
}

// baseOutputs are the outputs every exit path sets. status is the API's
// (untrusted) text, "" when none was read: it reaches later steps' shells,
// so anything but a plain word becomes UNKNOWN.
func (f *flow) baseOutputs(id int32, status, result string) []ci.Output {
	var outs []ci.Output
	if id != 0 {
		outs = append(outs, ci.Output{Name: "test-run-id", Value: strconv.Itoa(int(id))})
		if u := f.runURL(id); u != "" {
			outs = append(outs, ci.Output{Name: "test-run-url", Value: u})
		}
	}
	if !plainStatus.MatchString(status) {
		if status != "" {
			f.rep.Info(fmt.Sprintf("The API's status %q is not a plain word; the status output is %s.", escape.Line(status, 80), unknownStatus))
		}
		status = unknownStatus
	}
	return append(outs, ci.Output{Name: "status", Value: status}, ci.Output{Name: "result", Value: result})
}

// unknownStatus is the status output when no usable status was read.
const unknownStatus = "UNKNOWN"

// plainStatus is what a status output may hold: one short word.
var plainStatus = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,31}$`)

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
		case f.stale(st, err):
			f.rep.EndGroup()
			if err := f.trigger(ctx); err != nil {
				return err
			}
			return f.wait(ctx)
		case err != nil:
			f.rep.EndGroup()
			err = f.waitFailed(ctx, err)
			f.outputs(f.baseOutputs(f.id, statusOf(last), resultOf(exitCode(err))))
			return err
		}
		if first == nil {
			first = st
			f.rep.Debug("status answer shape (first): " + st.Shape.String())
		}
		last = st
		pr := report.ProgressOf(st)
		pr.Elapsed, pr.Timeout = f.clock.Now().Sub(f.start), time.Duration(f.cfg.Timeout)
		f.rep.Progress(pr)
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

// cancelRun asks the platform to cancel the run, bounded by grace even when
// ctx is already done (the job being cancelled), and by cancelGrace once it
// is. It reports whether the platform accepted.
func (f *flow) cancelRun(ctx context.Context, grace time.Duration) bool {
	sctx, stop := afterSignal(ctx, cancelGrace)
	defer stop()
	if ctx.Err() != nil {
		sctx = context.WithoutCancel(ctx) // grace alone bounds it
	}
	cctx, cancel := context.WithTimeout(sctx, grace)
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
	f.outputs(f.baseOutputs(f.id, statusOf(last), resultOf(ExitInterrupted)))
	return &InterruptedError{Msg: fmt.Sprintf("no verdict: the job was cancelled while %s test run %d", doing, f.id)}
}

func (f *flow) timedOut(ctx context.Context, last *probe.TestRunStatus) error {
	cancelled := false
	if f.cfg.CancelOnTimeout {
		cancelled = f.cancelRun(ctx, 30*time.Second)
	}
	res := &gate.Result{TestRunID: f.id, Thresholds: f.thresholds()}
	if last != nil {
		res = gate.Summarise(last, f.thresholds(), f.runURL(f.id))
	}
	res.TargetID = int32(f.cfg.TargetID)
	res.Reused = f.reusedNote()
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
	res := gate.Evaluate(st, f.thresholds(), f.cfg.ProbeIDs, f.runURL(f.id))
	res.TestRunID = f.id
	res.TargetID = int32(f.cfg.TargetID)
	for _, w := range res.Warnings {
		f.rep.Warning("Probe ids", w)
	}
	res.Reused = f.reusedNote()
	werr := f.publish(ctx, res, true)
	// The verdict is annotated with the probes, first where annotations
	// are listed and last in a log; the exit then does not repeat it.
	var verr *VerdictError
	verdict := report.Note{Title: "SPLX Probe gate passed", Msg: fmt.Sprintf("test run %d: %s", f.id, res.Reason), OK: true}
	switch res.Verdict {
	case gate.Passed:
	case gate.Failed:
		verr = &VerdictError{Verdict: gate.Failed, Msg: fmt.Sprintf("test run %d: %s", f.id, res.Reason)}
	default:
		verr = &VerdictError{Verdict: gate.NoVerdict, Msg: fmt.Sprintf("test run %d ended %s: %s", f.id, escape.Line(st.Status, 40), res.Reason)}
	}
	if verr != nil {
		verdict.Title, verdict.Msg = annotation(verr, f.cfg)
		verdict.OK, verr.Shown = false, true
	}
	errs, warns := report.Annotations(res)
	f.rep.Annotate(verdict, errs, warns)
	if verr == nil {
		return werr
	}
	return errors.Join(werr, verr)
}

// publish writes the result to the log, the files asked for, the outputs
// and the job summary. A report that could not be written is a
// *WriteError, so that a missing report never passes unnoticed.
func (f *flow) publish(ctx context.Context, res *gate.Result, ended bool) error {
	f.res = res
	res.Elapsed = f.clock.Now().Sub(f.start)
	outs := f.baseOutputs(res.TestRunID, res.Status, string(res.Verdict))
	outs = append(outs,
		ci.Output{Name: "total", Value: strconv.FormatInt(res.Total, 10)},
		ci.Output{Name: "passed", Value: strconv.FormatInt(res.Passed, 10)},
		ci.Output{Name: "failed", Value: strconv.FormatInt(res.Failed, 10)},
		ci.Output{Name: "errors", Value: strconv.FormatInt(res.Errors, 10)},
	)
	if res.Thresholds.Baseline != nil {
		outs = append(outs,
			ci.Output{Name: "regressions", Value: strconv.Itoa(res.Regressions)},
			ci.Output{Name: "improvements", Value: strconv.Itoa(res.Improvements)})
	}
	verdict := res.Verdict == gate.Passed || res.Verdict == gate.Failed
	var errs []error
	for _, file := range []struct {
		what, output string
		path         config.Text
		render       func(io.Writer) error
	}{
		{"JUnit report", "junit-path", f.cfg.JUnitPath, func(w io.Writer) error { return report.JUnit(w, res) }},
		{"Results file", "results-path", f.cfg.ResultsPath, func(w io.Writer) error { return report.JSON(w, res, f.version) }},
		{"SARIF file", "sarif-path", f.cfg.SARIFPath, func(w io.Writer) error {
			return report.SARIF(w, res, report.SARIFOptions{Location: f.sarifLocation(), Version: f.version})
		}},
		{"Code Quality report", "codequality-path", f.cfg.CodeQualityPath, func(w io.Writer) error {
			return report.CodeQuality(w, res, f.codeQualityLocation())
		}},
	} {
		if file.path == "" {
			continue
		}
		if file.output == "sarif-path" && !verdict {
			// An upload without results closes every open alert of its
			// category as fixed, on a run that proved nothing.
			f.rep.Info("No SARIF file: the run reached no verdict, and code scanning would take a file without results as every alert fixed.")
			continue
		}
		if file.output == "codequality-path" && !verdict {
			// The merge request widget would show every finding as fixed.
			f.rep.Info("No Code Quality report: the run reached no verdict, and GitLab would take a report without findings as every finding fixed.")
			continue
		}
		if err := f.writeFile(string(file.path), file.render); err != nil {
			errs = append(errs, &WriteError{What: file.what, Path: string(file.path), Err: err})
			continue
		}
		outs = append(outs, ci.Output{Name: file.output, Value: string(file.path)})
	}
	if p := string(f.cfg.ReportPath); p != "" && ended {
		// The wait's deadline bounds the download's retries too, but it
		// always gets one request's time; after a signal, signalGrace.
		sctx, stop := afterSignal(ctx, signalGrace)
		dctx, cancel := context.WithTimeout(sctx, max(f.deadline.Sub(f.clock.Now()), time.Duration(f.cfg.RequestTimeout)))
		n, err := f.fetchReport(dctx, res.TestRunID, p)
		cancel()
		stop()
		switch {
		case err != nil && ctx.Err() != nil:
			f.rep.Warning("PDF report", fmt.Sprintf("the job was cancelled: gave up on the report of test run %d after the %s grace", res.TestRunID, signalGrace))
		case err != nil:
			f.rep.Warning("PDF report", fmt.Sprintf("could not download the report of test run %d: %v", res.TestRunID, err))
		default:
			f.rep.Info(fmt.Sprintf("Saved the PDF report (%d bytes) to %s", n, p))
			outs = append(outs, ci.Output{Name: "report-path", Value: p})
		}
	}
	if ctx.Err() != nil {
		// Cancelled while publishing: the exit is 130, and result says so.
		for i := range outs {
			if outs[i].Name == "result" {
				outs[i].Value = resultOf(ExitInterrupted)
			}
		}
	}
	// The outputs before the table: a log (a terminal above all) ends with
	// the results and the verdict.
	f.outputs(outs)
	f.rep.Table(report.Table(res))
	f.rep.Summary(report.Markdown(res, string(f.cfg.ResultsPath)))
	return errors.Join(errs...)
}

// sarifLocation is the file the SARIF results point at: the sarif-location
// setting, else the workflow or pipeline file that ran. GitHub code
// scanning rejects results without one and GitLab drops them, so its
// absence is a warning.
func (f *flow) sarifLocation() string {
	loc := string(f.cfg.SARIFLocation)
	if loc == "" {
		loc = f.ci.WorkflowPath
	}
	if loc == "" {
		f.rep.Warning("SARIF file", fmt.Sprintf("its results point at no file: on %s the tool cannot tell which file of the repository the job comes from, and GitHub code scanning rejects such results (GitLab drops them): set sarif-location to a file of the repository (the workflow or pipeline file, say)", f.ci.Label()))
	}
	return loc
}

// codeQualityLocation is the file the Code Quality issues point at: the
// sarif-location setting, else the pipeline file (CI_CONFIG_PATH), else
// GitLab's default .gitlab-ci.yml (GitLab needs a path).
func (f *flow) codeQualityLocation() string {
	if loc := string(f.cfg.SARIFLocation); loc != "" {
		return loc
	}
	if f.ci.Platform == ci.GitLab && f.ci.WorkflowPath != "" {
		return f.ci.WorkflowPath
	}
	return ".gitlab-ci.yml"
}

// reportRetries are the waits before each new try of a PDF report that is
// not ready yet: the docs do not say how soon after FINISHED it is.
var reportRetries = [...]time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second}

// fetchReport downloads the PDF report, trying again a few times, within
// ctx and the wait's deadline, while the answer says it is not ready (400, 404, 409, 425, or an
// answer that is not a PDF).
func (f *flow) fetchReport(ctx context.Context, id int32, path string) (int64, error) {
	for i := 0; ; i++ {
		n, err := f.downloadReport(ctx, id, path)
		if err == nil || i == len(reportRetries) || !reportNotReady(err) {
			return n, err
		}
		wait := reportRetries[i]
		// The wait's deadline is on the injected clock, as every pause.
		if f.clock.Now().Add(wait).After(f.deadline) {
			return n, err
		}
		f.rep.Info(fmt.Sprintf("The PDF report of test run %d is not ready yet (%v); trying again in %s (%d of %d)", id, err, wait, i+1, len(reportRetries)))
		select {
		case <-ctx.Done():
			return n, err
		case <-f.clock.After(wait):
		}
	}
}

func reportNotReady(err error) bool {
	var er *probe.ErrorResponse
	if errors.As(err, &er) {
		switch er.StatusCode {
		case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusTooEarly:
			return true
		}
	}
	return errors.Is(err, probe.ErrNotPDF)
}
