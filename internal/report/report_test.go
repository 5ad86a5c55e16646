package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/golden"
	"github.com/splx-ai/splx-probe-action/internal/probe"
)

// hostileResult is a judged run whose probe names attack each format.
func hostileResult() *gate.Result {
	five := 5.0
	st := &probe.TestRunStatus{TestRunID: 7, Status: "FINISHED", ExecutionDate: "2026-11-27T10:00:00Z", ProbeRuns: []probe.ProbeRun{
		{ProbeName: `</testcase><testcase name="x">]]>&amp;`, ProbeID: 1, TotalCount: 100, PassedCount: 90, FailedCount: 10, Status: "FINISHED"},
		{ProbeName: "<img src=x onerror=alert(1)> | `tick` [l](javascript:x) **b**", ProbeID: 2, TotalCount: 10, PassedCount: 10, Status: "FINISHED"},
		{ProbeName: "ctrl\x01\x1b[31m\x00nul\ufffe\nline", ProbeID: 3, TotalCount: 10, PassedCount: 9, FailedCount: 1, Status: "FINISHED"},
	}}
	r := gate.Evaluate(st, gate.Thresholds{MaxFailedPercent: &five}, "https://probe.splx.ai/w/ws/target/42/test-runs/7")
	r.TargetID = 42
	return r
}

func TestJUnit(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := JUnit(&b, hostileResult()); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "../../testdata/report/hostile.junit.xml", b.String())
	var doc struct {
		Suites []struct {
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("not valid XML: %v", err)
	}
	cases := doc.Suites[0].Cases
	if len(cases) != 3 || doc.Suites[0].Failures != 2 || cases[0].Failure == nil || cases[1].Failure != nil || cases[0].Name != `</testcase><testcase name="x">]]>&amp;` {
		t.Errorf("parsed back: %+v", doc)
	}
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	md := Markdown(hostileResult())
	golden.Check(t, "../../testdata/report/hostile.summary.md", md)
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
	golden.Check(t, "../../testdata/report/hostile.results.json", b.String())
	var doc JSONDocument
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SchemaVersion != 1 || doc.Probes[1].Name != hostileResult().Probes[1].Name || doc.Result != "failed" {
		t.Errorf("round trip: %+v", doc)
	}
}

// TestMarkdownSizeCap: the summary stays under GitHub's 1 MiB per step
// whatever the number of probes.
func TestMarkdownSizeCap(t *testing.T) {
	t.Parallel()
	st := &probe.TestRunStatus{Status: "FINISHED"}
	for i := 0; i < 20000; i++ {
		st.ProbeRuns = append(st.ProbeRuns, probe.ProbeRun{ProbeName: strings.Repeat("n", 150), TotalCount: 10, PassedCount: 10})
	}
	md := Markdown(gate.Evaluate(st, gate.Thresholds{}, ""))
	if len(md) > 1<<20 || !strings.Contains(md, "more probes (see the results file)") {
		t.Errorf("summary of %d bytes", len(md))
	}
}
