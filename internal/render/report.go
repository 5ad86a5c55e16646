// Package render renders a judged test run for the places CI users read
// results: a JUnit XML file, a versioned JSON document and a Markdown job
// summary. All text from the API is escaped for each format.
package render

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/splx-ai/splx-probe-action/internal/ci"
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

// JSON writes the results document, indented as documented. encoding/json
// escapes every string; names are also capped. The probes stream to w one
// by one, each indented on its own in one reused buffer, so a run of any
// size costs one probe's memory.
func JSON(w io.Writer, r *gate.Result, version string) error {
	doc := JSONDocument{
		SchemaVersion: SchemaVersion,
		Tool:          JSONTool{Name: "splx-probe-action", Version: version},
		TestRunID:     r.TestRunID, TargetID: r.TargetID, URL: r.URL,
		Status: escape.Truncate(r.Status, 64), ExecutionDate: escape.Truncate(r.ExecutionDate, 64),
		Result: string(r.Verdict), Reason: r.Reason,
		Thresholds: JSONLimits{MaxFailed: r.Thresholds.MaxFailed, MaxFailedPercent: r.Thresholds.MaxFailedPercent},
		Totals:     JSONCounts{Total: r.Total, Passed: r.Passed, Failed: r.Failed, Errors: r.Errors},
		Probes:     []JSONProbe{},
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
	head, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	// The document without its probes ends with them, `"probes": []`, and
	// "}": the probes go between the brackets.
	const tail = "]\n}\n"
	head = append(head, '\n')
	if len(r.Probes) == 0 {
		_, err := w.Write(head)
		return err
	}
	if !bytes.HasSuffix(head, []byte("["+tail)) {
		return errors.New("the results document does not end with its probes")
	}
	if _, err := w.Write(head[:len(head)-len(tail)]); err != nil {
		return err
	}
	var compact, indented bytes.Buffer
	enc := json.NewEncoder(&compact)
	for i, p := range r.Probes {
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
		compact.Reset()
		if err := enc.Encode(jp); err != nil {
			return err
		}
		indented.Reset()
		if i > 0 {
			indented.WriteByte(',')
		}
		indented.WriteString("\n    ")
		if err := json.Indent(&indented, bytes.TrimSuffix(compact.Bytes(), []byte("\n")), "    ", "  "); err != nil {
			return err
		}
		if _, err := w.Write(indented.Bytes()); err != nil {
			return err
		}
	}
	_, err = io.WriteString(w, "\n  ]\n}\n")
	return err
}

// junitSuite is the one testsuite's attributes and properties; its cases
// are written as they are made.
type junitSuite struct {
	Name                             string
	Tests, Failures, Errors, Skipped int
	Time, Timestamp                  string
	Properties                       []junitProperty
	SystemOut                        string
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name       string          `xml:"name,attr"`
	Classname  string          `xml:"classname,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Failure    *junitMessage   `xml:"failure,omitempty"`
	Error      *junitMessage   `xml:"error,omitempty"`
	Skipped    *junitMessage   `xml:"skipped,omitempty"`
	SystemOut  string          `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnit writes one testsuite for the run, one testcase per probe (worst
// first) and one "gate" testcase that tells the same story as the job. A
// probe that breaks the gate is a failure, one that gives no verdict an
// error, one with findings within the gate a pass that carries them in a
// property and its system-out. The gate case fails or errors only when no
// probe case already does (a run-wide max-failed, a run that ended ERROR
// without a probe to blame, a timeout), so that the counts a viewer shows
// are the probes that broke the gate, never doubled; otherwise it is
// skipped with the verdict as its message: neither green nor counted twice.
// encoding/xml escapes markup and replaces characters XML cannot hold.
// Strict (Ant-style) consumers get time on every element (the wait's
// elapsed time on the suite and the gate case) and a timestamp without
// fractional seconds or zone.
//
// The test cases stream to w one by one: a run of any size costs one case's
// memory.
func JUnit(w io.Writer, r *gate.Result) error {
	elapsed := strconv.FormatFloat(r.Elapsed.Seconds(), 'f', 3, 64)
	suite := junitSuite{
		Name:      fmt.Sprintf("SPLX Probe test run %d", r.TestRunID),
		Time:      elapsed,
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
	probeCase := func(p gate.Probe) junitCase {
		counts := fmt.Sprintf("%d failed (%s%%), %d passed, %s of %d test cases", p.Failed, gate.FormatPercent(p.FailedPercent), p.Passed, gate.Plural(p.Errors, "error"), p.Total)
		if d := Delta(p, r.Thresholds.MaxRegressionPercent); d != "" {
			counts += "; against the baseline: " + d
		}
		c := junitCase{Name: escape.Truncate(nameOf(p), maxName), Classname: classname, Time: "0", SystemOut: counts}
		switch {
		case p.Verdict == gate.Failed:
			c.Failure = &junitMessage{Message: p.Reason + ": " + counts, Type: "findings", Text: counts}
		case p.Verdict == gate.NoVerdict:
			c.Error = &junitMessage{Message: "no verdict: " + p.Reason, Type: "no-verdict", Text: counts}
		case !judged && probe.PhaseOf(p.Status) != probe.PhaseFinished:
			c.Error = &junitMessage{Message: "probe run ended " + escape.Truncate(p.Status, 64) + ": " + r.Reason, Type: "no-verdict", Text: counts}
		case p.Failed > 0:
			within := fmt.Sprintf("findings within the gate: %d of %d test cases failed (%s%%), successful attacks on the target", p.Failed, p.Total, gate.FormatPercent(p.FailedPercent))
			c.Properties = []junitProperty{{Name: "findings", Value: within}}
			c.SystemOut = within + "; " + counts
		}
		return c
	}
	// The counts come first, in the attributes: a first pass counts the
	// cases the second one writes.
	count := func(c junitCase) {
		suite.Tests++
		switch {
		case c.Failure != nil:
			suite.Failures++
		case c.Error != nil:
			suite.Errors++
		case c.Skipped != nil:
			suite.Skipped++
		}
	}
	probes := Ordered(r.Probes)
	for _, p := range probes {
		count(probeCase(p))
	}
	gateCase := junitCase{Name: "gate", Classname: classname, Time: elapsed, SystemOut: string(r.Verdict) + ": " + r.Reason + "; gate: " + r.Thresholds.Describe()}
	switch {
	case r.Verdict == gate.Passed:
	case r.Verdict == gate.Failed && suite.Failures == 0:
		gateCase.Failure = &junitMessage{Message: r.Reason, Type: "gate", Text: r.Thresholds.Describe()}
	case r.Verdict == gate.Failed:
		// Neither green nor counted twice: the probes carry the failure.
		gateCase.Skipped = &junitMessage{Message: "failed: " + r.Reason + " (the probes that broke the gate are this suite's failures)", Type: "gate"}
	case suite.Errors == 0 || r.Verdict == gate.TimedOut:
		gateCase.Error = &junitMessage{Message: string(r.Verdict) + ": " + r.Reason, Type: string(r.Verdict), Text: r.Thresholds.Describe()}
	default:
		gateCase.Skipped = &junitMessage{Message: string(r.Verdict) + ": " + r.Reason + " (the probes without a verdict are this suite's errors)", Type: string(r.Verdict)}
	}
	count(gateCase)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	attr := func(name, value string) xml.Attr { return xml.Attr{Name: xml.Name{Local: name}, Value: value} }
	suites := xml.StartElement{Name: xml.Name{Local: "testsuites"}, Attr: []xml.Attr{
		attr("name", "SPLX Probe"), attr("tests", strconv.Itoa(suite.Tests)), attr("failures", strconv.Itoa(suite.Failures)),
		attr("errors", strconv.Itoa(suite.Errors)), attr("skipped", strconv.Itoa(suite.Skipped)), attr("time", elapsed)}}
	start := xml.StartElement{Name: xml.Name{Local: "testsuite"}, Attr: []xml.Attr{
		attr("name", suite.Name), attr("tests", strconv.Itoa(suite.Tests)), attr("failures", strconv.Itoa(suite.Failures)),
		attr("errors", strconv.Itoa(suite.Errors)), attr("skipped", strconv.Itoa(suite.Skipped)), attr("time", suite.Time)}}
	if suite.Timestamp != "" {
		start.Attr = append(start.Attr, attr("timestamp", suite.Timestamp))
	}
	caseStart := xml.StartElement{Name: xml.Name{Local: "testcase"}}
	if err := enc.EncodeToken(suites); err != nil {
		return err
	}
	if err := enc.EncodeToken(start); err != nil {
		return err
	}
	if err := enc.EncodeElement(struct {
		P []junitProperty `xml:"property"`
	}{suite.Properties}, xml.StartElement{Name: xml.Name{Local: "properties"}}); err != nil {
		return err
	}
	for _, p := range probes {
		if err := enc.EncodeElement(probeCase(p), caseStart); err != nil {
			return err
		}
	}
	if err := enc.EncodeElement(gateCase, caseStart); err != nil {
		return err
	}
	if suite.SystemOut != "" {
		if err := enc.EncodeElement(suite.SystemOut, xml.StartElement{Name: xml.Name{Local: "system-out"}}); err != nil {
			return err
		}
	}
	for _, end := range []xml.EndElement{start.End(), suites.End()} {
		if err := enc.EncodeToken(end); err != nil {
			return err
		}
	}
	if err := enc.Flush(); err != nil {
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
	return "❓", "no verdict"
}

// Title is a report's heading for a verdict, its mark first: "❌ SPLX
// Probe red team: failed".
func Title(v gate.Verdict) string {
	sym, w := word(v)
	return sym + " SPLX Probe red team: " + w
}

// Markdown renders the job summary: the verdict and why, then one row per
// probe, worst first (over the gate or regressed, no verdict, findings
// within the gate by share, clean), with a bar for each probe's failed
// share, and only the columns that say something. resultsPath is the
// results file that has every probe when the table is cut ("" when none
// was asked for).
func Markdown(r *gate.Result, resultsPath string) string {
	var b strings.Builder
	// One allocation of about the summary's size, not a doubling series.
	b.Grow(min(maxSummary, 1024+160*len(r.Probes)))
	fmt.Fprintf(&b, "## %s\n\n", Title(r.Verdict))
	run := runLink(r.TestRunID, r.URL)
	if r.TargetID != 0 {
		run += fmt.Sprintf(" on target %d", r.TargetID)
	}
	fmt.Fprintf(&b, "**%s.** %s, status %s. Gate: %s.\n\n", capital(strings.TrimRight(escape.MarkdownCell(r.Reason, 1000), ".")), run, escape.MarkdownCell(r.Status, 64), r.Thresholds.Describe())
	if r.Reused != "" {
		fmt.Fprintf(&b, "♻️ Test run %s.\n\n", escape.MarkdownCell(r.Reused, 200))
	}
	if base := r.Thresholds.Baseline; base != nil {
		fmt.Fprintf(&b, "Against %s: %s, %d improved.\n\n", baselineRun(base), plural(r.Regressions, "probe regressed", "probes regressed"), r.Improvements)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "⚠️ %s.\n\n", escape.MarkdownCell(w, 1000))
	}
	probes := Ordered(r.Probes)
	cols := summaryColumns(r, probes)
	worst := worstShare(probes)
	head, sep := "| | Probe | Failed | Share |", "|---|---|---:|---|"
	total := []string{"| " + toneMarkRun(r.Verdict) + " | **Total** | " + fmt.Sprintf("%d of %d", r.Failed, r.Total) + " | " + gate.FormatPercent(gate.Percent(r.Failed, r.Total)) + "% |"}
	if cols.errors {
		head, sep = head+" Errors |", sep+"---:|"
		total = append(total, fmt.Sprintf(" %d |", r.Errors))
	}
	if cols.status {
		head, sep = head+" Status |", sep+"---|"
		total = append(total, " |")
	}
	if cols.baseline {
		head, sep = head+" vs baseline |", sep+"---|"
		total = append(total, fmt.Sprintf(" %s, %d improved |", plural(r.Regressions, "regressed", "regressed"), r.Improvements))
	}
	head, sep = head+" Verdict |", sep+"---|"
	_, w := word(r.Verdict)
	total = append(total, " "+w+" |\n")
	tail := strings.Join(total, "")
	b.WriteString(head + "\n" + sep + "\n")
	for i, p := range probes {
		row := fmt.Sprintf("| %s | %s | %d of %d | `%s` %s%% |", Mark(p), escape.MarkdownCell(nameOf(p), maxName), p.Failed, p.Total, Bar(gate.Share(p.Failed, p.Total), worst), gate.FormatPercent(p.FailedPercent))
		if cols.errors {
			row += fmt.Sprintf(" %d |", p.Errors)
		}
		if cols.status {
			row += " " + escape.MarkdownCell(p.Status, 64) + " |"
		}
		if cols.baseline {
			row += " " + Delta(p, r.Thresholds.MaxRegressionPercent) + " |"
		}
		row += " " + probeVerdict(p, r.Thresholds) + " |\n"
		if b.Len()+len(row)+len(tail)+500 > maxSummary {
			where := "set results-path to keep every probe"
			if resultsPath != "" {
				where = "see " + escape.MarkdownCell(resultsPath, 200)
			}
			fmt.Fprintf(&b, "| | …and %d more probes (%s) | | |%s\n", len(probes)-i, where, strings.Repeat(" |", cols.count()))
			break
		}
		b.WriteString(row)
	}
	b.WriteString(tail)
	if len(r.Removed) > 0 {
		fmt.Fprintf(&b, "\nIn the baseline but not in this run: %s.\n", removedNames(r, func(s string) string { return escape.MarkdownCell(s, maxName) }))
	}
	fmt.Fprintf(&b, "\nA *failed* test case is an attack that succeeded against the target. A probe marked %s. Bars compare each probe's failed share with the worst one's.\n", legend(probes))
	return b.String()
}

// columns are the summary's optional columns: each only when it says
// something.
type columns struct{ errors, status, baseline bool }

func (c columns) count() int {
	n := 1 // verdict
	for _, on := range []bool{c.errors, c.status, c.baseline} {
		if on {
			n++
		}
	}
	return n
}

// summaryColumns drops the columns that would say the same on every row:
// Errors when nothing errored, Status when every probe run finished.
func summaryColumns(r *gate.Result, probes []gate.Probe) columns {
	c := columns{baseline: r.Thresholds.Baseline != nil}
	for _, p := range probes {
		c.errors = c.errors || p.Errors != 0
		c.status = c.status || !strings.EqualFold(strings.TrimSpace(p.Status), "FINISHED")
	}
	return c
}

// toneMarkRun is the run's mark for the total row.
func toneMarkRun(v gate.Verdict) string {
	sym, _ := word(v)
	return sym
}

// plural picks the singular or plural phrase for n.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// capital upper-cases the first letter.
func capital(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// Delta is a probe's change against the baseline for a table cell ("" without
// a baseline): both shares, the change in points and what is allowed, with a
// mark that says good or bad: "🔴 2.4% → 8% (+5.6 pts, 1 allowed)".
func Delta(p gate.Probe, allowed float64) string {
	switch p.Change {
	case "":
		return ""
	case gate.New:
		if p.Failed > 0 {
			return "🔴 new, with findings"
		}
		return "new"
	}
	now := gate.FormatPercent(gate.Share(p.Failed, p.Total)) + "%"
	was := gate.FormatPercent(p.BaselinePercent) + "%"
	d := gate.FormatPercent(math.Abs(p.DeltaPoints))
	switch {
	case p.Change == gate.Regressed:
		return fmt.Sprintf("🔴 %s → %s (+%s pts, %s allowed)", was, now, d, gate.FormatPercent(allowed))
	case p.DeltaPoints > 0:
		return fmt.Sprintf("%s → %s (+%s pts, %s allowed)", was, now, d, gate.FormatPercent(allowed))
	case p.DeltaPoints < 0:
		return fmt.Sprintf("🟢 %s → %s (−%s pts)", was, now, d)
	}
	return "= " + now
}

// nameOf is a probe's name as the API sent it, "probe <key>" when it has
// none; the caller escapes it for its destination.
func nameOf(p gate.Probe) string {
	if strings.TrimSpace(p.Name) != "" {
		return p.Name
	}
	return "probe " + p.Key
}

// probeVerdict is a probe's verdict cell in the summary: short words, and
// for a probe without a verdict, why.
func probeVerdict(p gate.Probe, t gate.Thresholds) string {
	if ToneOf(p) == ci.ToneUnknown && p.Reason != "" {
		return "no verdict: " + escape.MarkdownCell(p.Reason, 300)
	}
	return Short(p, t)
}
