package render

import (
	"strings"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/probe"
)

// TestLogViews: the table lists the probe over the gate first, escaped;
// each probe over it or with findings gets one annotation; progress counts
// what is done.
func TestLogViews(t *testing.T) {
	t.Parallel()
	res := hostileResult()
	lines := Table(res)
	if len(lines) < 3 || !strings.HasPrefix(lines[0].Text, "Probe") || !strings.HasPrefix(lines[len(lines)-1].Text, "Total") {
		t.Fatalf("table %v", lines)
	}
	for _, l := range lines {
		if strings.ContainsAny(l.Text, "\n\x1b") {
			t.Errorf("table line %q is not one escaped line", l.Text)
		}
	}
	errs, warns := Annotations(res)
	if len(errs)+len(warns) == 0 {
		t.Error("no annotations for a run with findings")
	}
	st := &probe.TestRunStatus{Status: "RUNNING", ProbeRuns: []probe.Run{{ProbeName: "Jailbreak", TotalCount: 10, PassedCount: 3, FailedCount: 2}}}
	if p := ProgressOf(st); p.Percent != 50 || len(p.Probes) != 1 {
		t.Errorf("progress %+v", p)
	}
}

// TestSummaries: a run not waited for, an exit without results and the
// doctor's checklist each say what happened in Markdown that escapes API
// text.
func TestSummaries(t *testing.T) {
	t.Parallel()
	started := StartedSummary(&Started{TestRunID: 7, TargetID: 42, URL: "https://probe.splx.ai/w/1/target/42/test-runs/7", ProbeIDs: []int32{1, 2}})
	if !strings.Contains(started, "does not wait for the run") || !strings.Contains(started, "1, 2") && !strings.Contains(started, "1,2") {
		t.Errorf("started summary:\n%s", started)
	}
	exit := ExitSummary(&Problem{Headline: "❓ no verdict: api failure", Detail: "boom <script>|", Fix: "try again", Exit: 6}, 7, "")
	if !strings.Contains(exit, "(exit 6)") || strings.Contains(exit, "<script>") {
		t.Errorf("exit summary:\n%s", exit)
	}
	if c := Checklist("ready", []string{"✅ token", "❌ dns | <b>"}); !strings.Contains(c, "doctor: ready") || strings.Contains(c, "<b>") {
		t.Errorf("checklist:\n%s", c)
	}
}
