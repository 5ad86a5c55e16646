// Package report renders a judged test run for the places CI users read
// results: a JUnit XML file, a versioned JSON document and a Markdown job
// summary. All text from the API is escaped for each format.
package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/probe"
)

// SchemaVersion is the version of the JSON results document. It changes
// only when a field is removed or changes meaning.
const SchemaVersion = 1

// maxName caps names from the API in every report.
const maxName = 200

// JSONDocument is the documented shape of the results file.
type JSONDocument struct {
	SchemaVersion int        `json:"schemaVersion"`
	Tool          JSONTool   `json:"tool"`
	TestRunID     int32      `json:"testRunId"`
	TargetID      int32      `json:"targetId,omitempty"`
	URL           string     `json:"url,omitempty"`
	Status        string     `json:"status"`
	ExecutionDate string     `json:"executionDate,omitempty"`
	Result        string     `json:"result"`
	Reason        string     `json:"reason"`
	Thresholds    JSONLimits `json:"thresholds"`
	Totals        JSONCounts `json:"totals"`
	// Baseline is set when the run was compared with an earlier one.
	Baseline *JSONBaseline `json:"baseline,omitempty"`
	Probes   []JSONProbe   `json:"probes"`
}

// JSONBaseline summarises the comparison with an earlier run.
type JSONBaseline struct {
	TestRunID            int32   `json:"testRunId,omitempty"`
	MaxRegressionPercent float64 `json:"maxRegressionPercent"`
	Regressions          int     `json:"regressions"`
	Improvements         int     `json:"improvements"`
	// Removed are the baseline's probe ids this run lacks; RemovedKeys are
	// the keys of all of them, those without a usable probe id included.
	Removed     []int64  `json:"removed"`
	RemovedKeys []string `json:"removedKeys"`
}

// JSONChange is a probe compared with the baseline.
type JSONChange struct {
	// Status is unchanged, regressed, improved or new.
	Status                string   `json:"status"`
	BaselineFailedPercent *float64 `json:"baselineFailedPercent"`
	// DeltaPoints is the change of the failed share, in percentage points.
	DeltaPoints *float64 `json:"deltaPoints"`
}

// JSONTool names the tool that wrote the document.
type JSONTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// JSONLimits are the gate's thresholds; null when not set.
type JSONLimits struct {
	MaxFailed        *int64   `json:"maxFailed"`
	MaxFailedPercent *float64 `json:"maxFailedPercent"`
}

// JSONCounts are test case counts.
type JSONCounts struct {
	Total  int64 `json:"total"`
	Passed int64 `json:"passed"`
	Failed int64 `json:"failed"`
	Errors int64 `json:"errors"`
}

// JSONProbe is one probe run.
type JSONProbe struct {
	Name string `json:"name"`
	// Key identifies the probe across runs (see gate.Keys); a baseline
	// matches probes by it.
	Key        string `json:"key"`
	ProbeID    int64  `json:"probeId"`
	ProbeRunID int64  `json:"probeRunId"`
	Status     string `json:"status"`
	// Processed is the API's processedCount, when it sent one.
	Processed *int64 `json:"processed,omitempty"`
	JSONCounts
	// FailedPercent is null when the counts make no share from 0 to 100
	// (failed over total, a negative count): such a run has no verdict.
	FailedPercent *float64    `json:"failedPercent"`
	Verdict       string      `json:"verdict"`
	Reason        string      `json:"reason,omitempty"`
	Change        *JSONChange `json:"change,omitempty"`
}

// JSON writes the results document. encoding/json escapes every string;
// names are also capped.
func JSON(w io.Writer, r *gate.Result, version string) error {
	doc := JSONDocument{
		SchemaVersion: SchemaVersion,
		Tool:          JSONTool{Name: "splx-probe-action", Version: version},
		TestRunID:     r.TestRunID, TargetID: r.TargetID, URL: r.URL,
		Status: escape.Truncate(r.Status, 64), ExecutionDate: escape.Truncate(r.ExecutionDate, 64),
		Result: string(r.Verdict), Reason: r.Reason,
		Thresholds: JSONLimits{MaxFailed: r.Thresholds.MaxFailed, MaxFailedPercent: r.Thresholds.MaxFailedPercent},
		Totals:     JSONCounts{Total: r.Total, Passed: r.Passed, Failed: r.Failed, Errors: r.Errors},
		Probes:     make([]JSONProbe, 0, len(r.Probes)),
	}
	if b := r.Thresholds.Baseline; b != nil {
		doc.Baseline = &JSONBaseline{TestRunID: b.TestRunID, MaxRegressionPercent: r.Thresholds.MaxRegressionPercent,
			Regressions: r.Regressions, Improvements: r.Improvements, Removed: []int64{}, RemovedKeys: append([]string{}, r.Removed...)}
		for _, k := range r.Removed {
			if id, err := strconv.ParseInt(k, 10, 64); err == nil {
				doc.Baseline.Removed = append(doc.Baseline.Removed, id)
			}
		}
	}
	for _, p := range r.Probes {
		jp := JSONProbe{
			Name: escape.Truncate(p.Name, maxName), Key: p.Key, ProbeID: p.ProbeID, ProbeRunID: p.ProbeRunID,
			Status: escape.Truncate(p.Status, 64), Processed: p.Processed,
			JSONCounts: JSONCounts{Total: p.Total, Passed: p.Passed, Failed: p.Failed, Errors: p.Errors},
			Verdict:    string(p.Verdict), Reason: p.Reason,
		}
		if share := gate.Share(p.Failed, p.Total); share >= 0 && share <= 100 {
			jp.FailedPercent = &share
		}
		if p.Change != "" {
			jp.Change = &JSONChange{Status: string(p.Change)}
			if p.Change != gate.New {
				base, delta := p.BaselinePercent, p.DeltaPoints
				jp.Change.BaselineFailedPercent, jp.Change.DeltaPoints = &base, &delta
			}
		}
		doc.Probes = append(doc.Probes, jp)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnit writes one testsuite for the run, one testcase per probe and one
// "gate" testcase that tells the same story as the job: it passes, fails or
// errors with the verdict's reason, so a test report is never green on a red
// pipeline. A probe that breaks the gate is a failure, one that gives no
// verdict an error. encoding/xml escapes markup and replaces characters XML
// cannot hold. Strict (Ant-style) consumers get time on every element and a
// timestamp without fractional seconds or zone.
func JUnit(w io.Writer, r *gate.Result) error {
	suite := junitSuite{
		Name:      fmt.Sprintf("SPLX Probe test run %d", r.TestRunID),
		Time:      "0",
		Timestamp: junitTimestamp(r.ExecutionDate),
		Properties: []junitProperty{
			{Name: "test-run-id", Value: strconv.Itoa(int(r.TestRunID))},
			{Name: "status", Value: escape.Truncate(r.Status, 64)},
			{Name: "result", Value: string(r.Verdict)},
			{Name: "gate", Value: r.Thresholds.Describe()},
		},
		SystemOut: r.Reason,
	}
	if r.URL != "" {
		suite.Properties = append(suite.Properties, junitProperty{Name: "url", Value: r.URL})
	}
	classname := "splx-probe"
	if r.TargetID != 0 {
		classname = fmt.Sprintf("splx-probe.target-%d", r.TargetID)
	}
	judged := r.Verdict == gate.Passed || r.Verdict == gate.Failed
	for _, p := range r.Probes {
		counts := fmt.Sprintf("%d failed (%s%%), %d passed, %d errors of %d test cases", p.Failed, FormatPercent(p.FailedPercent), p.Passed, p.Errors, p.Total)
		if d := Delta(p); d != "" {
			counts += "; against the baseline: " + d
		}
		c := junitCase{Name: escape.Truncate(nameOf(p), maxName), Classname: classname, Time: "0", SystemOut: counts}
		switch {
		case p.Verdict == gate.Failed:
			c.Failure = &junitMessage{Message: p.Reason + ": " + counts, Type: "findings", Text: counts}
			suite.Failures++
		case p.Verdict == gate.NoVerdict:
			c.Error = &junitMessage{Message: "no verdict: " + p.Reason, Type: "no-verdict", Text: counts}
			suite.Errors++
		case !judged && probe.PhaseOf(p.Status) != probe.PhaseFinished:
			c.Error = &junitMessage{Message: "probe run ended " + escape.Truncate(p.Status, 64) + ": " + r.Reason, Type: "no-verdict", Text: counts}
			suite.Errors++
		}
		suite.Cases = append(suite.Cases, c)
	}
	gateCase := junitCase{Name: "gate", Classname: classname, Time: "0", SystemOut: r.Thresholds.Describe() + ": " + r.Reason}
	switch r.Verdict {
	case gate.Passed:
	case gate.Failed:
		gateCase.Failure = &junitMessage{Message: r.Reason, Type: "gate", Text: r.Thresholds.Describe()}
		suite.Failures++
	default:
		gateCase.Error = &junitMessage{Message: string(r.Verdict) + ": " + r.Reason, Type: string(r.Verdict), Text: r.Thresholds.Describe()}
		suite.Errors++
	}
	suite.Cases = append(suite.Cases, gateCase)
	suite.Tests = len(suite.Cases)
	doc := junitSuites{Name: "SPLX Probe", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Time: "0", Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitTimestamp turns the API's execution date into the Ant schema's
// timestamp (UTC, no fraction, no zone), or "" when it is not a date.
func junitTimestamp(s string) string {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05")
}

// maxSummary keeps the job summary under GitHub's 1 MiB per step.
const maxSummary = 900 << 10

// word returns the verdict's symbol and word.
func word(v gate.Verdict) (string, string) {
	switch v {
	case gate.Passed:
		return "✅", "passed"
	case gate.Failed:
		return "❌", "failed"
	case gate.TimedOut:
		return "⏱️", "timed out"
	}
	return "⚠️", "no verdict"
}

// Headline is the one-line verdict with its symbol.
func Headline(v gate.Verdict) string {
	sym, w := word(v)
	return sym + " " + w
}

// Markdown renders the job summary: a table with one row per probe, the
// totals, the link to the run and why the job passed or failed. resultsPath
// is the results file that has every probe when the table is cut ("" when
// none was asked for).
func Markdown(r *gate.Result, resultsPath string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## SPLX Probe red team: %s\n\n", Headline(r.Verdict))
	run := fmt.Sprintf("Test run %d", r.TestRunID)
	if r.URL != "" {
		run = fmt.Sprintf("[Test run %d](%s)", r.TestRunID, r.URL)
	}
	if r.TargetID != 0 {
		run += fmt.Sprintf(" on target %d", r.TargetID)
	}
	fmt.Fprintf(&b, "%s, status %s.\n\n", run, escape.MarkdownCell(r.Status, 64))
	if r.Reused != "" {
		fmt.Fprintf(&b, "♻️ Test run %s.\n\n", escape.MarkdownCell(r.Reused, 200))
	}
	fmt.Fprintf(&b, "**%s**: %s. Gate: %s.\n\n", verdictWord(r.Verdict), escape.MarkdownCell(r.Reason, 1000), r.Thresholds.Describe())
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "⚠️ %s.\n\n", escape.MarkdownCell(w, 1000))
	}
	base := r.Thresholds.Baseline != nil
	head, sep := "| Probe | Status | Passed | Failed | Errors | Failed % | Verdict |", "|---|---|---:|---:|---:|---:|---|"
	tail := fmt.Sprintf("| **Total** | | %d | %d | %d | %s%% | %s |\n", r.Passed, r.Failed, r.Errors, FormatPercent(gate.Percent(r.Failed, r.Total)), Headline(r.Verdict))
	if base {
		head, sep = head+" vs baseline |", sep+"---:|"
		tail = strings.TrimSuffix(tail, "\n") + fmt.Sprintf(" %d regressed, %d improved |\n", r.Regressions, r.Improvements)
	}
	b.WriteString(head + "\n" + sep + "\n")
	for i, p := range r.Probes {
		row := fmt.Sprintf("| %s | %s | %d | %d | %d | %s%% | %s |",
			escape.MarkdownCell(nameOf(p), maxName), escape.MarkdownCell(p.Status, 64),
			p.Passed, p.Failed, p.Errors, FormatPercent(p.FailedPercent), probeVerdict(p))
		if base {
			row += " " + Delta(p) + " |"
		}
		row += "\n"
		if b.Len()+len(row)+len(tail)+500 > maxSummary {
			where := "set results-path to keep every probe"
			if resultsPath != "" {
				where = "see " + escape.MarkdownCell(resultsPath, 200)
			}
			fmt.Fprintf(&b, "| …and %d more probes (%s) | | | | | | |\n", len(r.Probes)-i, where)
			break
		}
		b.WriteString(row)
	}
	b.WriteString(tail)
	if len(r.Removed) > 0 {
		fmt.Fprintf(&b, "\nIn the baseline but not in this run: probes %s.\n", strings.Join(r.Removed, ", "))
	}
	b.WriteString("\nA *failed* test case is an attack that succeeded against the target.\n")
	return b.String()
}

// Delta is a probe's change against the baseline for a table cell, in
// percentage points ("" without a baseline).
func Delta(p gate.Probe) string {
	switch p.Change {
	case "":
		return ""
	case gate.New:
		return "new"
	}
	d := p.DeltaPoints
	s := FormatPercent(math.Abs(d)) + " pts"
	switch {
	case p.Change == gate.Regressed:
		return "⬆️ +" + s
	case d > 0:
		return "+" + s
	case d < 0:
		return "⬇️ −" + s
	}
	return "="
}

// nameOf is a probe's name as the API sent it, "probe <key>" when it has
// none; the caller escapes it for its destination.
func nameOf(p gate.Probe) string {
	if strings.TrimSpace(p.Name) != "" {
		return p.Name
	}
	return "probe " + p.Key
}

// verdictWord is the verdict's word, capitalised.
func verdictWord(v gate.Verdict) string {
	_, w := word(v)
	return strings.ToUpper(w[:1]) + w[1:]
}

func probeVerdict(p gate.Probe) string {
	switch p.Verdict {
	case gate.Failed:
		return "❌ " + p.Reason
	case gate.Findings:
		return "⚠️ findings within the gate"
	case gate.Passed:
		return "✅"
	case gate.NoVerdict:
		return "⚠️ no verdict: " + escape.MarkdownCell(p.Reason, 300)
	}
	return "–"
}
