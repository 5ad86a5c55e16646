package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/probe"
	"github.com/splx-ai/splx-probe-action/internal/report"
)

// cancelGrace bounds the cancel request sent when the job is aborted: the
// runner kills the container 10 s after its first signal.
const cancelGrace = 5 * time.Second

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
}

func (f *flow) runURL(id int32) string {
	if f.cfg.WorkspaceID == "" || f.cfg.TargetID == 0 {
		return ""
	}
	return fmt.Sprintf("%s/w/%s/target/%d/test-runs/%d", f.cfg.UIURL, f.cfg.WorkspaceID, f.cfg.TargetID, id)
}

func (f *flow) run(ctx context.Context) int {
	id := f.cfg.TestRunID
	if f.cfg.Attach() {
		f.rep.Info(fmt.Sprintf("Attaching to test run %d at %s", id, f.cfg.APIURL.Host))
	} else {
		var code int
		if id, code = f.trigger(ctx); code != ExitOK {
			return code
		}
	}
	if !f.cfg.Wait {
		f.rep.Outputs(f.baseOutputs(id, "triggered", "pending"))
		f.rep.Info("Not waiting for the run (set wait: true to gate the job on its findings).")
		return ExitOK
	}
	return f.wait(ctx, id)
}

func (f *flow) trigger(ctx context.Context) (int32, int) {
	name := f.cfg.Name
	if name == "" {
		name = ci.DefaultRunName(f.platform, f.env, f.now())
	}
	f.rep.Info(fmt.Sprintf("Triggering test run %q on target %d with probes %s at %s", escape.Line(name, 200), f.cfg.TargetID, joinIDs(f.cfg.ProbeIDs), f.cfg.APIURL.Host))
	resp, err := f.client.TriggerTestRun(ctx, &probe.TriggerRequest{
		TargetID: f.cfg.TargetID, ProbeIDs: f.cfg.ProbeIDs, Name: name,
		NotifyWhenFinished: f.cfg.NotifyWhenFinished, RunAIAnalysis: f.cfg.RunAIAnalysis,
	})
	if err != nil {
		if ctx.Err() != nil {
			f.rep.Error("Interrupted", "the job was cancelled while triggering the test run; a run may have been started: check the target's test runs in the SPLX Probe web UI")
			return 0, ExitInterrupted
		}
		fl := f.classify(err)
		f.rep.Error(fl.title, fl.msg)
		return 0, fl.code
	}
	msg := fmt.Sprintf("Test run %d on target %d with probes %s", resp.TestRunID, f.cfg.TargetID, joinIDs(f.cfg.ProbeIDs))
	if u := f.runURL(resp.TestRunID); u != "" {
		msg += ": " + u
	}
	f.rep.Notice("SPLX Probe test run started", msg)
	return resp.TestRunID, ExitOK
}

func (f *flow) baseOutputs(id int32, status, result string) []ci.Output {
	outs := []ci.Output{{Name: "test-run-id", Value: strconv.Itoa(int(id))}}
	if u := f.runURL(id); u != "" {
		outs = append(outs, ci.Output{Name: "test-run-url", Value: u})
	}
	return append(outs, ci.Output{Name: "status", Value: status}, ci.Output{Name: "result", Value: result})
}

// wait polls the run until it ends, the wait times out or the job is
// cancelled, then reports.
func (f *flow) wait(ctx context.Context, id int32) int {
	waitCtx, cancel := context.WithTimeoutCause(ctx, f.cfg.Timeout, errWaitTimeout)
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
				return f.aborted(ctx, id, last)
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
			f.rep.Outputs(f.baseOutputs(id, statusOf(last), string(gate.NoVerdict)))
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
		return "unknown"
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
	return gate.Thresholds{MaxFailed: f.cfg.MaxFailed, MaxFailedPercent: f.cfg.MaxFailedPercent}
}

// cancelRun asks the platform to cancel the run, bounded by grace even when
// ctx is already done (the job being cancelled).
func (f *flow) cancelRun(ctx context.Context, id int32, grace time.Duration) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := f.client.CancelTestRun(cctx, id); err != nil {
		f.rep.Warning("Cancel failed", fmt.Sprintf("could not cancel test run %d: %v; cancel it in the SPLX Probe web UI to stop spending credits", id, err))
		return
	}
	f.rep.Info(fmt.Sprintf("Cancelled test run %d (results so far are kept).", id))
}

func (f *flow) aborted(ctx context.Context, id int32, last *probe.TestRunStatus) int {
	f.rep.Warning("Interrupted", fmt.Sprintf("the job was cancelled while waiting for test run %d", id))
	if f.cfg.CancelOnAbort {
		f.cancelRun(ctx, id, cancelGrace)
	} else {
		f.rep.Info(fmt.Sprintf("Test run %d goes on (cancel-on-abort is false).", id))
	}
	f.rep.Outputs(f.baseOutputs(id, statusOf(last), string(gate.NoVerdict)))
	f.rep.Error("Interrupted", fmt.Sprintf("no verdict: the wait for test run %d was interrupted", id))
	return ExitInterrupted
}

func (f *flow) timedOut(ctx context.Context, id int32, last *probe.TestRunStatus) int {
	if f.cfg.CancelOnTimeout {
		f.cancelRun(ctx, id, 30*time.Second)
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
	res.Reason = fmt.Sprintf("the run did not end within the %s timeout (last status %s%s)", f.cfg.Timeout, escape.Line(statusOf(last), 40), pct)
	code := f.publish(ctx, res, false)
	advice := "raise timeout, or attach later with test-run-id: " + strconv.Itoa(int(id))
	if f.cfg.CancelOnTimeout {
		advice = "raise timeout; the run was cancelled"
	}
	f.rep.Error("SPLX Probe wait timed out", fmt.Sprintf("test run %d: %s; %s", id, res.Reason, advice))
	return max(code, ExitTimeout)
}

// finish judges a run that ended and reports it everywhere.
func (f *flow) finish(ctx context.Context, id int32, st *probe.TestRunStatus) int {
	res := gate.Evaluate(st, f.thresholds(), f.runURL(id))
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
		if err := writeFileAtomic(p, func(w *bytes.Buffer) error { return report.JUnit(w, res) }); err != nil {
			f.rep.Error("JUnit report", fmt.Sprintf("could not write %s: %v", p, err))
			code = ExitAPI
		} else {
			outs = append(outs, ci.Output{Name: "junit-path", Value: p})
		}
	}
	if p := f.cfg.ResultsPath; p != "" {
		if err := writeFileAtomic(p, func(w *bytes.Buffer) error { return report.JSON(w, res, f.version) }); err != nil {
			f.rep.Error("Results file", fmt.Sprintf("could not write %s: %v", p, err))
			code = ExitAPI
		} else {
			outs = append(outs, ci.Output{Name: "results-path", Value: p})
		}
	}
	if p := f.cfg.ReportPath; p != "" && ended {
		if n, err := f.downloadReport(ctx, res.TestRunID, p); err != nil {
			f.rep.Warning("PDF report", fmt.Sprintf("could not download the report of test run %d: %v", res.TestRunID, err))
		} else {
			f.rep.Info(fmt.Sprintf("Saved the PDF report (%d bytes) to %s", n, p))
			outs = append(outs, ci.Output{Name: "report-path", Value: p})
		}
	}
	f.rep.Outputs(outs)
	f.rep.Summary(report.Markdown(res))
	return code
}

// GitHub shows at most 10 error and 10 warning annotations per step; keep
// room for the verdict's own error.
const maxProbeAnnotations = 8

// annotate adds one annotation per probe over its threshold (error) or
// with findings under it (warning).
func (f *flow) annotate(res *gate.Result) {
	var errs, warns int
	for _, p := range res.Probes {
		counts := fmt.Sprintf("%d of %d test cases failed (%s%%): successful attacks on the target", p.Failed, p.Total, gate.FormatPercent(p.FailedPercent))
		switch p.Verdict {
		case gate.Failed:
			if errs++; errs <= maxProbeAnnotations {
				f.rep.Error("Probe over threshold: "+escape.Line(p.Name, 100), p.Reason+"; "+counts)
			}
		case gate.Findings:
			if warns++; warns <= maxProbeAnnotations {
				f.rep.Warning("Findings: "+escape.Line(p.Name, 100), counts+", within the gate")
			}
		}
	}
	if n := errs - maxProbeAnnotations; n > 0 {
		f.rep.Error("More probes over threshold", fmt.Sprintf("%d more probes over threshold; see the job summary", n))
	}
	if n := warns - maxProbeAnnotations; n > 0 {
		f.rep.Warning("More findings", fmt.Sprintf("%d more probes with findings; see the job summary", n))
	}
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
