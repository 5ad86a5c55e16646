package ci

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/splx-ai/splx-probe-action/internal/escape"
)

// The values the reporters take, filled in by internal/report: ci stays a
// leaf, knowing nothing of the API, the gate or the renderers.

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

// Key is what a progress line says of the run itself, without the time:
// a log shows a new line only when it changes.
func (p Progress) Key() string {
	p.Timeout = 0 // Line shows no time without a timeout
	return p.Line()
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

// TableLine is one line of the log's result table, with the tone of its
// probe for colour.
type TableLine struct {
	Text string
	Tone Tone
}

// Tone is how much a probe's row matters, for marks and colour.
type Tone int

// Tones, worst first: the order every report lists probes in.
const (
	// ToneBad is a probe over the gate or regressed: it breaks the gate.
	ToneBad Tone = iota
	// ToneUnknown is a probe without a verdict.
	ToneUnknown
	// ToneWarn is a probe with findings within the gate.
	ToneWarn
	// ToneGood is a probe without findings.
	ToneGood
	// ToneNone is a line that is not a probe's (a header, the total).
	ToneNone
)
