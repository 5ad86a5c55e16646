package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/gate"
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

// errWaitTimeout is the cause of the wait's own deadline, told apart from
// the job being cancelled.
var errWaitTimeout = errors.New("wait timed out")

// flow is one run of the tool with validated settings.
type flow struct {
	cfg      *config.Config
	rep      ci.Reporter
	client   *probe.Client
	env      map[string]string
	now      func() time.Time
	version  string
	platform ci.Platform
	redact   *redact.Redactor
	// deadline ends the trigger's retries and the wait: the tool's start
	// plus timeout, when waiting. Contexts keep wall-clock deadlines, so
	// it is read from time.Now, not from the injected clock.
	deadline time.Time
	// outputsSet records that the outputs were written, so that every exit
	// path sets result and status exactly once.
	outputsSet bool
}

func (f *flow) runURL(id int32) string {
	if f.cfg.WorkspaceID == "" || f.cfg.TargetID == 0 {
		return ""
	}
	return fmt.Sprintf("%s/w/%s/target/%d/test-runs/%d", f.cfg.UIURL, f.cfg.WorkspaceID, f.cfg.TargetID, id)
}

func (f *flow) run(ctx context.Context) int {
	if f.cfg.Wait {
		f.deadline = time.Now().Add(f.cfg.Timeout)
	}
	id := f.cfg.TestRunID
	code := ExitOK
	if f.cfg.Attach() {
		f.rep.Info(fmt.Sprintf("Attaching to test run %d at %s", id, f.cfg.APIURL.Host))
	} else {
		id, code = f.trigger(ctx)
	}
	switch {
	case code != ExitOK:
	case !f.cfg.Wait:
		f.outputs(f.baseOutputs(id, "triggered", "pending"))
		f.rep.Info("Not waiting for the run (set wait: true to gate the job on its findings).")
	default:
		code = f.wait(ctx, id)
	}
	if !f.outputsSet {
		f.outputs(f.baseOutputs(id, "", resultOf(code)))
	}
	return code
}

// resultOf is the result output of an exit path that set no other.
func resultOf(code int) string {
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

func (f *flow) trigger(ctx context.Context) (int32, int) {
	name := f.cfg.Name
	if name == "" {
		name = ci.DefaultRunName(f.platform, f.env, f.now())
	}
	f.rep.Info(fmt.Sprintf("Triggering test run %q on target %d with probes %s at %s", escape.Line(name, 200), f.cfg.TargetID, joinIDs(f.cfg.ProbeIDs), f.cfg.APIURL.Host))
	// With wait, the retries end at the deadline; the request itself is
	// never cut by it (the client lets a trigger in flight answer).
	tctx := ctx
	if !f.deadline.IsZero() {
		var cancel context.CancelFunc
		tctx, cancel = context.WithDeadline(ctx, f.deadline)
		defer cancel()
	}
	resp, err := f.client.TriggerTestRun(tctx, &probe.TriggerRequest{
		TargetID: f.cfg.TargetID, ProbeIDs: f.cfg.ProbeIDs, Name: name,
		NotifyWhenFinished: f.cfg.NotifyWhenFinished, RunAIAnalysis: f.cfg.RunAIAnalysis,
	})
	if err != nil {
		if ctx.Err() != nil {
			f.rep.Error("Interrupted", "the job was cancelled while triggering the test run, and no answer came within the grace period; a run may have been started: check the target's test runs in the SPLX Probe web UI")
			return 0, ExitInterrupted
		}
		fl := f.classify(err)
		f.rep.Error(fl.title, fl.msg)
		return 0, fl.code
	}
	if ctx.Err() != nil {
		// The job was cancelled while the trigger was in flight: the run it
		// created would spend credits unseen.
		return resp.TestRunID, f.aborted(ctx, resp.TestRunID, nil, "triggering")
	}
	msg := fmt.Sprintf("Test run %d on target %d with probes %s", resp.TestRunID, f.cfg.TargetID, joinIDs(f.cfg.ProbeIDs))
	if u := f.runURL(resp.TestRunID); u != "" {
		msg += ": " + u
	}
	f.rep.Notice("SPLX Probe test run started", msg)
	return resp.TestRunID, ExitOK
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

// wait polls the run until it ends, the wait times out or the job is
// cancelled, then reports.
func (f *flow) wait(ctx context.Context, id int32) int {
	if f.deadline.IsZero() {
		f.deadline = time.Now().Add(f.cfg.Timeout)
	}
	waitCtx, cancel := context.WithDeadlineCause(ctx, f.deadline, errWaitTimeout)
	defer cancel()
	f.rep.Group(fmt.Sprintf("Waiting for test run %d (timeout %s, polling every %s)", id, f.cfg.Timeout, f.cfg.PollInterval))
	var last *probe.TestRunStatus
	lastLine := ""
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-waitCtx.Done():
		case <-timer.C:
		}
		if waitCtx.Err() != nil {
			f.rep.EndGroup()
			if ctx.Err() != nil {
				return f.aborted(ctx, id, last, "waiting for")
			}
			return f.timedOut(ctx, id, last)
		}
		st, err := f.client.TestRunStatus(waitCtx, id)
		if err != nil {
			if waitCtx.Err() != nil {
				continue // the select above reports the timeout or abort
			}
			f.rep.EndGroup()
			fl := f.classify(err)
			f.rep.Error(fl.title, fl.msg)
			f.outputs(f.baseOutputs(id, statusOf(last), resultOf(fl.code)))
			return fl.code
		}
		last = st
		p := progressOf(st)
		if l := ci.ProgressLine(p); l != lastLine {
			f.rep.Progress(p)
			lastLine = l
		}
		if probe.PhaseOf(st.Status).Terminal() {
			f.rep.EndGroup()
			return f.finish(ctx, id, st)
		}
		timer.Reset(f.cfg.PollInterval)
	}
}

func statusOf(st *probe.TestRunStatus) string {
	if st == nil {
		return ""
	}
	return st.Status
}

// maxProgressProbes bounds the per-probe part of a progress line.
const maxProgressProbes = 6

func progressOf(st *probe.TestRunStatus) ci.Progress {
	p := ci.Progress{Status: st.Status}
	var done, total int64
	for i, pr := range st.ProbeRuns {
		done += min(pr.Done(), pr.TotalCount)
		total += pr.TotalCount
		if i < maxProgressProbes {
			p.Probes = append(p.Probes, fmt.Sprintf("%s %d/%d", escape.Line(pr.ProbeName, 40), pr.Done(), pr.TotalCount))
		}
	}
	if n := len(st.ProbeRuns) - maxProgressProbes; n > 0 {
		p.Probes = append(p.Probes, fmt.Sprintf("+%d more", n))
	}
	if probe.PhaseOf(st.Status) == probe.PhaseFinished {
		p.Percent = 100
	} else {
		p.Percent = gate.Percent(done, total)
	}
	return p
}

func (f *flow) thresholds() gate.Thresholds {
	return gate.Thresholds{MaxFailed: f.cfg.MaxFailed, MaxFailedPercent: f.cfg.MaxFailedPercent, MaxErrorPercent: f.cfg.MaxErrorPercent}
}

// runRef names a run for a message: its link when there is one.
func (f *flow) runRef(id int32) string {
	if u := f.runURL(id); u != "" {
		return fmt.Sprintf("test run %d (%s)", id, u)
	}
	return fmt.Sprintf("test run %d", id)
}

// cancelRun asks the platform to cancel the run, bounded by grace even when
// ctx is already done (the job being cancelled). It reports whether the
// platform accepted.
func (f *flow) cancelRun(ctx context.Context, id int32, grace time.Duration) bool {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := f.client.CancelTestRun(cctx, id); err != nil {
		f.rep.Warning("Cancel failed", fmt.Sprintf("could not cancel %s: %v; it may still be spending credits: cancel it in the SPLX Probe web UI", f.runRef(id), err))
		return false
	}
	f.rep.Info(fmt.Sprintf("Cancelled test run %d (results so far are kept).", id))
	return true
}

// aborted handles the job being cancelled while doing (triggering or
// waiting for) the run.
func (f *flow) aborted(ctx context.Context, id int32, last *probe.TestRunStatus, doing string) int {
	f.rep.Warning("Interrupted", fmt.Sprintf("the job was cancelled while %s test run %d", doing, id))
	if f.cfg.CancelOnAbort {
		f.cancelRun(ctx, id, cancelGrace)
	} else {
		f.rep.Info(fmt.Sprintf("Test run %d goes on (cancel-on-abort is false).", id))
	}
	f.outputs(f.baseOutputs(id, statusOf(last), resultOf(ExitInterrupted)))
	f.rep.Error("Interrupted", fmt.Sprintf("no verdict: the job was cancelled while %s test run %d", doing, id))
	return ExitInterrupted
}

func (f *flow) timedOut(ctx context.Context, id int32, last *probe.TestRunStatus) int {
	cancelled := false
	if f.cfg.CancelOnTimeout {
		cancelled = f.cancelRun(ctx, id, 30*time.Second)
	}
	res := &gate.Result{TestRunID: id, Status: statusOf(last), Thresholds: f.thresholds()}
	if last != nil {
		res = gate.Summarise(last, f.thresholds(), f.runURL(id))
	}
	res.TargetID = f.cfg.TargetID
	res.Verdict = gate.TimedOut
	pct := ""
	if last != nil {
		pct = fmt.Sprintf(", %.0f%% done", progressOf(last).Percent)
	}
	lastStatus := statusOf(last)
	if lastStatus == "" {
		lastStatus = "none read"
	}
	res.Reason = fmt.Sprintf("the run did not end within the %s timeout (last status %s%s)", f.cfg.Timeout, escape.Line(lastStatus, 40), pct)
	code := f.publish(ctx, res, false)
	advice := "raise timeout, or attach later with test-run-id: " + strconv.Itoa(int(id))
	switch {
	case cancelled:
		advice = "raise timeout; the run was cancelled"
	case f.cfg.CancelOnTimeout:
		advice = "raise timeout; cancelling the run failed, so it may still be spending credits: cancel " + f.runRef(id) + " in the SPLX Probe web UI"
	}
	f.rep.Error("SPLX Probe wait timed out", fmt.Sprintf("test run %d: %s; %s", id, res.Reason, advice))
	return max(code, ExitTimeout)
}

// finish judges a run that ended and reports it everywhere.
func (f *flow) finish(ctx context.Context, id int32, st *probe.TestRunStatus) int {
	res := gate.Evaluate(st, f.thresholds(), f.cfg.ProbeIDs, f.runURL(id))
	res.TestRunID = id
	res.TargetID = f.cfg.TargetID
	code := f.publish(ctx, res, true)
	f.annotate(res)
	verdict := ExitOK
	switch res.Verdict {
	case gate.Passed:
		f.rep.Notice("SPLX Probe gate passed", fmt.Sprintf("test run %d: %s", id, res.Reason))
	case gate.Failed:
		f.rep.Error("SPLX Probe gate failed", fmt.Sprintf("test run %d: %s", id, res.Reason))
		verdict = ExitGateFailed
	default:
		f.rep.Error("SPLX Probe: no verdict", fmt.Sprintf("test run %d ended %s: %s", id, escape.Line(st.Status, 40), res.Reason))
		verdict = ExitNoVerdict
	}
	if verdict != ExitOK {
		return verdict
	}
	return code
}

// publish writes the result to the log, the files asked for, the outputs
// and the job summary. It returns ExitAPI when a requested file could not be
// written, so that a missing report never passes unnoticed.
func (f *flow) publish(ctx context.Context, res *gate.Result, ended bool) int {
	code := ExitOK
	for _, l := range strings.Split(resultTable(res), "\n") {
		f.rep.Info(l)
	}
	outs := f.baseOutputs(res.TestRunID, res.Status, string(res.Verdict))
	outs = append(outs,
		ci.Output{Name: "total", Value: strconv.FormatInt(res.Total, 10)},
		ci.Output{Name: "passed", Value: strconv.FormatInt(res.Passed, 10)},
		ci.Output{Name: "failed", Value: strconv.FormatInt(res.Failed, 10)},
		ci.Output{Name: "errors", Value: strconv.FormatInt(res.Errors, 10)},
	)
	if p := f.cfg.JUnitPath; p != "" {
		if err := f.writeFile(p, func(w *bytes.Buffer) error { return report.JUnit(w, res) }); err != nil {
			f.rep.Error("JUnit report", fmt.Sprintf("could not write %s: %v", p, err))
			code = ExitAPI
		} else {
			outs = append(outs, ci.Output{Name: "junit-path", Value: p})
		}
	}
	if p := f.cfg.ResultsPath; p != "" {
		if err := f.writeFile(p, func(w *bytes.Buffer) error { return report.JSON(w, res, f.version) }); err != nil {
			f.rep.Error("Results file", fmt.Sprintf("could not write %s: %v", p, err))
			code = ExitAPI
		} else {
			outs = append(outs, ci.Output{Name: "results-path", Value: p})
		}
	}
	if p := f.cfg.ReportPath; p != "" && ended {
		// The wait's deadline bounds the download's retries too, but it
		// always gets one request's time.
		dctx, cancel := context.WithDeadline(ctx, later(f.deadline, time.Now().Add(f.cfg.RequestTimeout)))
		n, err := f.downloadReport(dctx, res.TestRunID, p)
		cancel()
		if err != nil {
			f.rep.Warning("PDF report", fmt.Sprintf("could not download the report of test run %d: %v", res.TestRunID, err))
		} else {
			f.rep.Info(fmt.Sprintf("Saved the PDF report (%d bytes) to %s", n, p))
			outs = append(outs, ci.Output{Name: "report-path", Value: p})
		}
	}
	f.outputs(outs)
	f.rep.Summary(report.Markdown(res, f.cfg.ResultsPath))
	return code
}

// later returns the later of two times.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// annotate adds one annotation per probe over its threshold (error) or
// with findings under it (warning); the reporter fits them in what the
// platform shows.
func (f *flow) annotate(res *gate.Result) {
	var errs, warns []ci.Note
	for _, p := range res.Probes {
		counts := fmt.Sprintf("%d of %d test cases failed (%s%%): successful attacks on the target", p.Failed, p.Total, gate.FormatPercent(p.FailedPercent))
		switch p.Verdict {
		case gate.Failed:
			errs = append(errs, ci.Note{Title: "Probe over threshold: " + escape.Line(p.Name, 100), Msg: p.Reason + "; " + counts})
		case gate.Findings:
			warns = append(warns, ci.Note{Title: "Findings: " + escape.Line(p.Name, 100), Msg: counts + ", within the gate"})
		}
	}
	f.rep.Annotate(errs, warns)
}

// maxTableRows bounds the log's result table; the files have every probe.
const maxTableRows = 200

// resultTable is the plain-text table of results for the log.
func resultTable(res *gate.Result) string {
	rows := [][]string{{"Probe", "Status", "Passed", "Failed", "Errors", "Failed %", "Verdict"}}
	for i, p := range res.Probes {
		if i == maxTableRows {
			rows = append(rows, []string{fmt.Sprintf("(+%d more)", len(res.Probes)-i), "", "", "", "", "", ""})
			break
		}
		rows = append(rows, []string{escape.Line(p.Name, 40), escape.Line(p.Status, 16),
			strconv.FormatInt(p.Passed, 10), strconv.FormatInt(p.Failed, 10), strconv.FormatInt(p.Errors, 10),
			gate.FormatPercent(p.FailedPercent) + "%", orDash(string(p.Verdict))})
	}
	rows = append(rows, []string{"Total", "", strconv.FormatInt(res.Passed, 10), strconv.FormatInt(res.Failed, 10),
		strconv.FormatInt(res.Errors, 10), gate.FormatPercent(gate.Percent(res.Failed, res.Total)) + "%", string(res.Verdict)})
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			switch {
			case i == 0 || i == 1 || i == len(r)-1:
				b.WriteString(c + pad) // text: left-aligned
			default:
				b.WriteString(pad + c) // numbers: right-aligned
			}
			if i < len(r)-1 {
				b.WriteString("  ")
			}
		}
		b.WriteString("\n")
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	return strings.Join(lines, "\n")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
