package render

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/golden"
	"github.com/splx-ai/splx-probe-action/internal/probe"
)

// hostileResult is a judged run whose probe names attack each format.
func hostileResult() *gate.Result {
	five := 5.0
	st := &probe.TestRunStatus{TestRunID: 7, Status: "FINISHED", ExecutionDate: "2026-11-27T10:00:00Z", ProbeRuns: []probe.Run{
		{ProbeName: `</testcase><testcase name="x">]]>&amp;`, ProbeID: 1, TotalCount: 100, PassedCount: 90, FailedCount: 10, Status: "FINISHED"},
		{ProbeName: "<img src=x onerror=alert(1)> | `tick` [l](javascript:x) **b**", ProbeID: 2, TotalCount: 10, PassedCount: 10, Status: "FINISHED"},
		{ProbeName: "ctrl\x01\x1b[31m\x00nul\ufffe\nline", ProbeID: 3, TotalCount: 10, PassedCount: 9, FailedCount: 1, Status: "FINISHED"},
	}}
	r := gate.Evaluate(st, gate.Thresholds{MaxFailedPercent: &five}, nil, "https://probe.splx.ai/w/ws/target/42/test-runs/7")
	r.TargetID = 42
	return r
}

// TestJUnitTellsTheJobsStory: whatever the verdict, the JUnit file says
// the same as the job (a gate case that passes, fails or errors), and
// strict consumers find time on every element and a plain timestamp.
func TestJUnitTellsTheJobsStory(t *testing.T) {
	t.Parallel()
	maxFailed, five := int64(10), 5.0
	st := func(status string, runs ...probe.Run) *probe.TestRunStatus {
		return &probe.TestRunStatus{TestRunID: 1, Status: status, ExecutionDate: "2026-11-27T10:00:00.123+01:00", ProbeRuns: runs}
	}
	within := probe.Run{ProbeName: "A", ProbeID: 1, TotalCount: 100, PassedCount: 95, FailedCount: 5, Status: "FINISHED"}
	other := probe.Run{ProbeName: "B", ProbeID: 2, TotalCount: 100, PassedCount: 94, FailedCount: 6, Status: "FINISHED"}
	timedOut := gate.Summarise(st("RUNNING", within), gate.Thresholds{}, "")
	timedOut.Verdict, timedOut.Reason = gate.TimedOut, "the run did not end"
	tests := []struct {
		name             string
		r                *gate.Result
		failures, errors int
		gate             string // "pass", "failure", "error" or "skipped" (a probe case carries it)
	}{
		{"passed", gate.Evaluate(st("FINISHED", within), gate.Thresholds{MaxFailed: &maxFailed}, nil, ""), 0, 0, "pass"},
		{"run-wide gate failed, no probe over", gate.Evaluate(st("FINISHED", within, other), gate.Thresholds{MaxFailed: &maxFailed}, nil, ""), 1, 0, "failure"},
		{"no verdict: untrusted counts", gate.Evaluate(st("FINISHED", probe.Run{ProbeName: "N", TotalCount: 5, FailedCount: -1, Status: "FINISHED"}), gate.Thresholds{}, nil, ""), 0, 1, "skipped"},
		{"no verdict: run ERROR", gate.Evaluate(st("ERROR", within), gate.Thresholds{MaxFailed: &maxFailed}, nil, ""), 0, 1, "skipped"},
		{"no verdict: finished without probe runs", gate.Evaluate(st("FINISHED"), gate.Thresholds{}, nil, ""), 0, 1, "error"},
		{"one probe over the gate counts once", gate.Evaluate(st("FINISHED", other), gate.Thresholds{MaxFailedPercent: &five}, nil, ""), 1, 0, "skipped"},
		{"timed out", timedOut, 0, 1, "error"},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := JUnit(&b, tt.r); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Time   *string `xml:"time,attr"`
			Suites []struct {
				Time      *string `xml:"time,attr"`
				Timestamp string  `xml:"timestamp,attr"`
				Failures  int     `xml:"failures,attr"`
				Errors    int     `xml:"errors,attr"`
				Cases     []struct {
					Name    string    `xml:"name,attr"`
					Time    *string   `xml:"time,attr"`
					Failure *struct{} `xml:"failure"`
					Error   *struct{} `xml:"error"`
					Skipped *struct{} `xml:"skipped"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		s := doc.Suites[0]
		if s.Failures != tt.failures || s.Errors != tt.errors {
			t.Errorf("%s: failures %d errors %d, want %d %d\n%s", tt.name, s.Failures, s.Errors, tt.failures, tt.errors, b.String())
		}
		last := s.Cases[len(s.Cases)-1]
		got := "pass"
		if last.Failure != nil {
			got = "failure"
		} else if last.Error != nil {
			got = "error"
		} else if last.Skipped != nil {
			got = "skipped"
		}
		if last.Name != "gate" || got != tt.gate {
			t.Errorf("%s: last case %q is a %s, want gate %s", tt.name, last.Name, got, tt.gate)
		}
		if doc.Time == nil || s.Time == nil || s.Timestamp != "2026-11-27T09:00:00" {
			t.Errorf("%s: time or timestamp missing or not plain: %q", tt.name, s.Timestamp)
		}
		for _, c := range s.Cases {
			if c.Time == nil {
				t.Errorf("%s: case %q has no time", tt.name, c.Name)
			}
		}
	}
}

func TestJUnit(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := JUnit(&b, hostileResult()); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/report/hostile.junit.xml", b.String())
	var doc struct {
		Suites []struct {
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("not valid XML: %v", err)
	}
	// Worst first: the two probes over the gate, then the clean one; the
	// gate case does not count their failures again.
	cases := doc.Suites[0].Cases
	if len(cases) != 4 || doc.Suites[0].Failures != 2 || cases[0].Failure == nil || cases[1].Failure == nil || cases[2].Failure != nil || cases[0].Name != `</testcase><testcase name="x">]]>&amp;` ||
		cases[3].Name != "gate" || cases[3].Failure != nil || cases[3].Skipped == nil {
		t.Errorf("parsed back: %+v", doc)
	}
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	md := Markdown(hostileResult(), "")
	golden.Check(t, "testdata/report/hostile.summary.md", md)
	for _, bad := range []string{"<img", "](javascript", "\x1b", "\x00"} {
		if strings.Contains(md, bad) {
			t.Errorf("summary contains %q", bad)
		}
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := JSON(&b, hostileResult(), "v1.2.3"); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/report/hostile.results.json", b.String())
	var doc JSONDocument
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SchemaVersion != 1 || doc.Probes[1].Name != hostileResult().Probes[1].Name || doc.Result != "failed" {
		t.Errorf("round trip: %+v", doc)
	}
}

// TestMarkdownSizeCap: the summary stays under its 900 KiB cap (GitHub
// takes 1 MiB per step) whatever the number of probes, and the cut says
// where the rest is.
func TestMarkdownSizeCap(t *testing.T) {
	t.Parallel()
	st := &probe.TestRunStatus{Status: "FINISHED"}
	for i := 0; i < 20000; i++ {
		st.ProbeRuns = append(st.ProbeRuns, probe.Run{ProbeName: strings.Repeat("n", 150), TotalCount: 10, PassedCount: 10, Status: "FINISHED"})
	}
	r := gate.Evaluate(st, gate.Thresholds{}, nil, "")
	for _, tt := range []struct{ path, want string }{
		{"", "more probes (set results-path to keep every probe)"},
		{"out/splx.json", "more probes (see out/splx.json)"},
	} {
		md := Markdown(r, tt.path)
		if len(md) > maxSummary || !strings.Contains(md, tt.want) {
			t.Errorf("summary of %d bytes (cap %d), want %q", len(md), maxSummary, tt.want)
		}
	}
}

func TestFormatPercent(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{0: "0", 2.4: "2.4", 100: "100", 4.105: "4.11", 33.333333: "33.33", 20: "20", 0.5: "0.5"} {
		if got := gate.FormatPercent(in); got != want {
			t.Errorf("gate.FormatPercent(%v) = %q, want %q", in, got, want)
		}
	}
}

// TestComment: the pull request comment, with a baseline, as a golden file;
// and the trigger-only form.
func TestComment(t *testing.T) {
	t.Parallel()
	five := 5.0
	st := &probe.TestRunStatus{TestRunID: 7, Status: "FINISHED", ProbeRuns: []probe.Run{
		{ProbeName: "Jailbreak", ProbeID: 1, TotalCount: 100, PassedCount: 88, FailedCount: 12, Status: "FINISHED"},
		{ProbeName: "<img src=x> | **Leak**", ProbeID: 2, TotalCount: 50, PassedCount: 50, Status: "FINISHED"},
		{ProbeName: "Fresh", ProbeID: 3, TotalCount: 10, PassedCount: 9, FailedCount: 1, Status: "FINISHED"},
	}}
	base := &gate.Baseline{TestRunID: 5, Probes: map[string]gate.BaselineProbe{"1": {Failed: 10, Total: 100}, "2": {Failed: 4, Total: 100}}}
	r := gate.Evaluate(st, gate.Thresholds{MaxFailedPercent: &five, Baseline: base, MaxRegressionPercent: 1}, nil, "https://probe.splx.ai/w/ws/target/42/test-runs/7")
	r.TargetID = 42
	marker := CommentMarker("red team / gate / target 42")
	when := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	in := CommentInput{Marker: marker, Key: "red team / gate / target 42", Version: "v1.0.0", Result: r,
		Commit: "0123456", CommitURL: "https://github.com/acme/chatbot/commit/0123456789", RunURL: "https://github.com/acme/chatbot/actions/runs/99", Time: when}
	got := Comment(in)
	golden.Check(t, "testdata/report/comment.md", got)
	if marker == CommentMarker("red team / gate / target 43") || !strings.HasPrefix(got, marker+"\n") {
		t.Errorf("markers: %q", marker)
	}
	started := Comment(CommentInput{Marker: marker, Key: "k", Version: "v1.0.0", Started: &Started{TestRunID: 9, TargetID: 42, ProbeIDs: []int32{1, 2}}})
	if !strings.Contains(started, "Test run 9 on target 42 with probes 1, 2") {
		t.Errorf("started comment:\n%s", started)
	}
}

// TestNamelessProbes: probe runs with neither a name nor a usable probeId
// stay apart in the comment, the results file and SARIF, by their keys.
func TestNamelessProbes(t *testing.T) {
	t.Parallel()
	st := &probe.TestRunStatus{TestRunID: 7, Status: "FINISHED", ProbeRuns: []probe.Run{
		{ProbeRunID: 700, TotalCount: 10, PassedCount: 9, FailedCount: 1, Status: "FINISHED"},
		{ProbeRunID: 701, TotalCount: 10, PassedCount: 8, FailedCount: 2, Status: "FINISHED"},
	}}
	r := gate.Evaluate(st, gate.Thresholds{}, nil, "")
	r.TargetID = 42
	comment := Comment(CommentInput{Marker: CommentMarker("k"), Key: "k", Version: "v1", Result: r})
	for _, want := range []string{"| probe run-700 | 1 of 10", "| probe run-701 | 2 of 10"} {
		if !strings.Contains(comment, want) {
			t.Errorf("comment lacks %q:\n%s", want, comment)
		}
	}
	var js, sarif bytes.Buffer
	if err := JSON(&js, r, "v1"); err != nil {
		t.Fatal(err)
	}
	if err := SARIF(&sarif, r, SARIFOptions{Location: "w.yml"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"key": "run-700"`, `"key": "run-701"`} {
		if !strings.Contains(js.String(), want) {
			t.Errorf("results lack %s", want)
		}
	}
	for _, want := range []string{`"id":"splx-probe/run-700"`, `"id":"splx-probe/run-701"`, `"text":"SPLX Probe: probe run-700"`} {
		if !strings.Contains(sarif.String(), want) {
			t.Errorf("SARIF lacks %s", want)
		}
	}
}

// TestCommentRendersOnlyWhatIsShown: a comment over many probes stays
// within GitHub's limit with its footer, says how many probes it left out,
// and renders no row it does not show: 20,000 probe runs cost the same
// allocations as 2,000 (both fill the comment).
// Not parallel: AllocsPerRun refuses to run beside other tests.
func TestCommentRendersOnlyWhatIsShown(t *testing.T) {
	in := func(n int) CommentInput {
		return CommentInput{Marker: CommentMarker("k"), Key: "k", Version: "v1", Result: bigResult(n)}
	}
	small, big := in(2000), in(20000)
	body := Comment(big)
	// Every probe breaks the gate, so none is folded: the rows that fit
	// are shown and the rest counted.
	shown := strings.Count(body, " | Probe &lt;")
	if len(body) > maxComment || !strings.HasSuffix(body, "(its key: k).</sub>\n") || shown == 0 ||
		!strings.Contains(body, fmt.Sprintf("…and %d more probes (cut to fit a comment: see the job summary)", 20000-shown)) {
		t.Errorf("%d bytes, %d rows shown, ends:\n%s", len(body), shown, body[len(body)-300:])
	}
	allocs := func(c CommentInput) float64 { return testing.AllocsPerRun(3, func() { Comment(c) }) }
	if a, b := allocs(small), allocs(big); b > 1.2*a {
		t.Errorf("%.0f allocations for 2,000 probes, %.0f for 20,000: rows are rendered that are not shown", a, b)
	}
}
