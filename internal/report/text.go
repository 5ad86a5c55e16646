package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/probe"
)

// Progress is the state of a run being waited on, for the log.
type Progress struct {
	Status  string
	Percent float64
	// Probes holds one short "name done/total" entry per probe, and "+N
	// more" past maxProgressProbes.
	Probes []string
	// Elapsed is how long the wait has lasted, against its Timeout (0:
	// not shown).
	Elapsed, Timeout time.Duration
}

// maxProgressProbes bounds the per-probe part of a progress line.
const maxProgressProbes = 6

// ProgressOf summarises a status document for the log.
func ProgressOf(st *probe.TestRunStatus) Progress {
	p := Progress{Status: st.Status}
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

// Key is what a progress line says of the run itself, without the time:
// a log shows a new line only when it changes.
func (p Progress) Key() string {
	s := fmt.Sprintf("%s %5.1f%%", escape.Line(p.Status, 40), p.Percent)
	if len(p.Probes) > 0 {
		s += " | " + strings.Join(p.Probes, ", ")
	}
	return escape.Line(s, 300)
}

// Line is the one-line form of a progress update for a log: the state, the
// time waited against the timeout, and each probe.
func (p Progress) Line() string {
	s := fmt.Sprintf("%s %5.1f%%", escape.Line(p.Status, 40), p.Percent)
	if p.Timeout > 0 {
		s += " | " + p.clock()
	}
	if len(p.Probes) > 0 {
		s += " | " + strings.Join(p.Probes, ", ")
	}
	return escape.Line(s, 300)
}

// clock is the time waited against the timeout: "1m05s of 30m".
func (p Progress) clock() string {
	return Duration(p.Elapsed) + " of " + Duration(p.Timeout)
}

// Fit is the progress line for a terminal of width columns: the state and
// the time first, then as many probes as fit, cut on a word boundary with
// "…", never wider than width.
func (p Progress) Fit(width int) string {
	head := fmt.Sprintf("%s %.1f%%", escape.Line(p.Status, 20), p.Percent)
	if p.Timeout > 0 {
		head += " · " + p.clock()
	}
	s := head
	if len(p.Probes) > 0 {
		s += " · " + strings.Join(p.Probes, ", ")
	}
	return FitWords(s, width)
}

// FitWords cuts s to at most width columns (runes) on a word boundary,
// marking the cut with "…".
func FitWords(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)[:max(width-1, 0)]
	cut := len(r)
	for i := len(r) - 1; i > 0; i-- {
		if r[i] == ' ' {
			cut = i
			break
		}
	}
	return strings.TrimRight(strings.TrimRight(string(r[:cut]), " "), ",·|") + "…"
}

// Duration prints a duration compactly: "45s", "1m05s", "30m", "1h05m".
func Duration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0 && m == 0:
		return fmt.Sprintf("%dh", h)
	case h > 0:
		return fmt.Sprintf("%dh%02dm", h, m)
	case m > 0 && sec == 0:
		return fmt.Sprintf("%dm", m)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, sec)
	}
	return fmt.Sprintf("%ds", sec)
}

// Note is one annotation: a title and a message.
type Note struct {
	Title, Msg string
	// OK marks a verdict that passed: a notice, not an error.
	OK bool
}

// Annotations are one note per probe that breaks the gate (errs) and per
// probe with findings within it (warns), worst first; the reporter fits
// them in what its platform shows, after (GitHub) or before (a log) the
// verdict.
func Annotations(res *gate.Result) (errs, warns []Note) {
	for _, p := range Ordered(res.Probes) {
		counts := fmt.Sprintf("%d of %d test cases failed (%s%%): successful attacks on the target", p.Failed, p.Total, FormatPercent(p.FailedPercent))
		switch p.Verdict {
		case gate.Failed:
			errs = append(errs, Note{Title: failTitle(p, res.Thresholds) + ": " + escape.Line(nameOf(p), 100), Msg: p.Reason + "; " + counts})
		case gate.Findings:
			warns = append(warns, Note{Title: "Findings within the gate: " + escape.Line(nameOf(p), 100), Msg: counts + ", within the gate"})
		}
	}
	return errs, warns
}

// failTitle names why a probe breaks the gate.
func failTitle(p gate.Probe, t gate.Thresholds) string {
	switch {
	case p.Change == gate.Regressed:
		return "Probe regressed"
	case p.Change == gate.New:
		return "New probe with findings"
	case t.MaxFailedPercent != nil && p.FailedPercent > *t.MaxFailedPercent:
		return "Probe over threshold"
	}
	return "Probe with findings (none allowed)"
}

// maxTableRows bounds the log's result table; the files have every probe.
const maxTableRows = 200

// TableLine is one line of the log's result table, with the tone of its
// probe for colour.
type TableLine struct {
	Text string
	Tone Tone
}

// Table is the plain-text table of results for the log, worst first: text
// columns left-aligned, numbers right-aligned, no trailing spaces.
func Table(res *gate.Result) []TableLine {
	probes := Ordered(res.Probes)
	rows := [][]string{{"Probe", "Status", "Passed", "Failed", "Errors", "Failed %", "Verdict"}}
	tones := []Tone{ToneNone}
	for i, p := range probes {
		if i == maxTableRows {
			rows = append(rows, []string{fmt.Sprintf("(+%d more)", len(probes)-i), "", "", "", "", "", ""})
			tones = append(tones, ToneNone)
			break
		}
		rows = append(rows, []string{escape.Line(nameOf(p), 40), escape.Line(p.Status, 16),
			strconv.FormatInt(p.Passed, 10), strconv.FormatInt(p.Failed, 10), strconv.FormatInt(p.Errors, 10),
			FormatPercent(p.FailedPercent) + "%", orDash(string(p.Verdict))})
		tones = append(tones, ToneOf(p))
	}
	rows = append(rows, []string{"Total", "", strconv.FormatInt(res.Passed, 10), strconv.FormatInt(res.Failed, 10),
		strconv.FormatInt(res.Errors, 10), FormatPercent(gate.Percent(res.Failed, res.Total)) + "%", string(res.Verdict)})
	tones = append(tones, ToneNone)
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	lines := make([]TableLine, len(rows))
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
		lines[n] = TableLine{Text: strings.TrimRight(b.String(), " "), Tone: tones[n]}
	}
	return lines
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// FormatPercent prints a percentage with at most two decimals.
func FormatPercent(p float64) string {
	return strings.TrimSuffix(strings.TrimRight(strconv.FormatFloat(p, 'f', 2, 64), "0"), ".")
}
