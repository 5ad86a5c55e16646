package render

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/probe"
)

// maxProgressProbes bounds the per-probe part of a progress line.
const maxProgressProbes = 6

// ProgressOf summarises a status document for the log.
func ProgressOf(st *probe.TestRunStatus) ci.Progress {
	p := ci.Progress{Status: st.Status}
	var done, total int64
	for i, pr := range st.ProbeRuns {
		done += max(min(pr.Done(), pr.TotalCount), 0)
		total += max(pr.TotalCount, 0)
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

// Annotations are one note per probe that breaks the gate (errs) and per
// probe with findings within it (warns), worst first; the reporter fits
// them in what its platform shows, after (GitHub) or before (a log) the
// verdict.
func Annotations(res *gate.Result) (errs, warns []ci.Note) {
	for _, p := range Ordered(res.Probes) {
		counts := fmt.Sprintf("%d of %d test cases failed (%s%%): successful attacks on the target", p.Failed, p.Total, gate.FormatPercent(p.FailedPercent))
		switch p.Verdict {
		case gate.Failed:
			_, title := whyBad(p, res.Thresholds)
			errs = append(errs, ci.Note{Title: title + ": " + escape.Line(nameOf(p), 100), Msg: p.Reason + "; " + counts})
		case gate.Findings:
			warns = append(warns, ci.Note{Title: "Findings within the gate: " + escape.Line(nameOf(p), 100), Msg: counts + ", within the gate"})
		}
	}
	return errs, warns
}

// maxTableRows bounds the log's result table; the files have every probe.
const maxTableRows = 200

// Table is the plain-text table of results for the log, worst first: text
// columns left-aligned, numbers right-aligned, no trailing spaces.
func Table(res *gate.Result) []ci.TableLine {
	probes := Ordered(res.Probes)
	rows := [][]string{{"Probe", "Status", "Passed", "Failed", "Errors", "Failed %", "Verdict"}}
	tones := []ci.Tone{ci.ToneNone}
	for i, p := range probes {
		if i == maxTableRows {
			rows = append(rows, []string{fmt.Sprintf("(+%d more)", len(probes)-i), "", "", "", "", "", ""})
			tones = append(tones, ci.ToneNone)
			break
		}
		rows = append(rows, []string{escape.Line(nameOf(p), 40), escape.Line(p.Status, 16),
			strconv.FormatInt(p.Passed, 10), strconv.FormatInt(p.Failed, 10), strconv.FormatInt(p.Errors, 10),
			gate.FormatPercent(p.FailedPercent) + "%", orDash(string(p.Verdict))})
		tones = append(tones, ToneOf(p))
	}
	rows = append(rows, []string{"Total", "", strconv.FormatInt(res.Passed, 10), strconv.FormatInt(res.Failed, 10),
		strconv.FormatInt(res.Errors, 10), gate.FormatPercent(gate.Percent(res.Failed, res.Total)) + "%", string(res.Verdict)})
	tones = append(tones, ci.ToneNone)
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	lines := make([]ci.TableLine, len(rows))
	for n, r := range rows {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i == 0 || i == 1 || i == len(r)-1 {
				b.WriteString(c + pad) // text: left-aligned
			} else {
				b.WriteString(pad + c) // numbers: right-aligned
			}
			if i < len(r)-1 {
				b.WriteString("  ")
			}
		}
		lines[n] = ci.TableLine{Text: strings.TrimRight(b.String(), " "), Tone: tones[n]}
	}
	return lines
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
