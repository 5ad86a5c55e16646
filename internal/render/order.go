package render

import (
	"cmp"
	"slices"
	"strings"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/gate"
)

// ToneOf places a probe in the order: over the gate or regressed, then no
// verdict (also a probe of a run that did not end), then findings within
// the gate, then clean.
func ToneOf(p gate.Probe) ci.Tone {
	switch {
	case p.Verdict == gate.Failed:
		return ci.ToneBad
	case p.Verdict == gate.NoVerdict || p.Verdict == "":
		return ci.ToneUnknown
	case p.Failed > 0:
		return ci.ToneWarn
	}
	return ci.ToneGood
}

// Ordered returns the probes worst first, the order of every report: by
// tone, then by failed share (largest first), then as the API sent them.
// A probe that breaks the gate therefore always comes before any other.
func Ordered(probes []gate.Probe) []gate.Probe {
	// Each probe's sort key is computed once, not in every comparison.
	type key struct {
		tone  ci.Tone
		share float64
		i     int
	}
	keys := make([]key, len(probes))
	for i, p := range probes {
		keys[i] = key{ToneOf(p), gate.Percent(p.Failed, p.Total), i}
	}
	slices.SortStableFunc(keys, func(a, b key) int {
		if c := cmp.Compare(a.tone, b.tone); c != 0 {
			return c
		}
		return cmp.Compare(b.share, a.share)
	})
	out := make([]gate.Probe, len(probes))
	for j, k := range keys {
		out[j] = probes[k.i]
	}
	return out
}

// Mark is a probe's symbol: each verdict has its own.
func Mark(p gate.Probe) string {
	return toneMark[ToneOf(p)]
}

var toneMark = map[ci.Tone]string{ci.ToneBad: "❌", ci.ToneUnknown: "❓", ci.ToneWarn: "⚠️", ci.ToneGood: "✅"}

// Short is a probe's verdict in a few plain words, for a narrow cell:
// "over 5%", "regressed", "no verdict", "within the gate", "no findings".
func Short(p gate.Probe, t gate.Thresholds) string {
	switch ToneOf(p) {
	case ci.ToneBad:
		short, _ := whyBad(p, t)
		return short
	case ci.ToneUnknown:
		return "no verdict"
	case ci.ToneWarn:
		return "within the gate"
	}
	return "no findings"
}

// whyBad says why a probe breaks the gate: in a few words for a narrow
// cell (Short), and as an annotation's title.
func whyBad(p gate.Probe, t gate.Thresholds) (short, title string) {
	switch {
	case p.Change == gate.Regressed:
		return "regressed", "Probe regressed"
	case p.Change == gate.New:
		return "new, with findings", "New probe with findings"
	case t.MaxFailedPercent != nil && p.FailedPercent > *t.MaxFailedPercent:
		return "over " + gate.FormatPercent(*t.MaxFailedPercent) + "%", "Probe over threshold"
	}
	return "findings, none allowed", "Probe with findings (none allowed)"
}

// barCells is the width of a share's bar.
const barCells = 10

// Bar draws a failed share as text blocks, relative to the largest share
// of the run (worst), so that the eye finds the worst probe at once; any
// finding gets at least one block.
func Bar(share, worst float64) string {
	n := 0
	if share > 0 && worst > 0 {
		n = max(1, min(barCells, int(share/worst*barCells+0.5)))
	}
	return strings.Repeat("█", n) + strings.Repeat("░", barCells-n)
}

// worstShare is the largest failed share of the probes.
func worstShare(probes []gate.Probe) float64 {
	w := 0.0
	for _, p := range probes {
		w = max(w, gate.Share(p.Failed, p.Total))
	}
	return w
}

// removedNames names the baseline's probes this run lacks, by the name the
// baseline file gave them.
func removedNames(r *gate.Result, cell func(string) string) string {
	names := make([]string, 0, len(r.Removed))
	for _, k := range r.Removed {
		name := "probe " + k
		if b := r.Thresholds.Baseline; b != nil && strings.TrimSpace(b.Probes[k].Name) != "" {
			name = b.Probes[k].Name
		}
		names = append(names, cell(name))
	}
	return strings.Join(names, ", ")
}

// baselineRun names the baseline, with a link to its run when its file had
// one (the gate's words already name its test run).
func baselineRun(b *gate.Baseline) string {
	if b == nil || b.URL == "" {
		return "the baseline"
	}
	return "the baseline ([its run](" + b.URL + "))"
}

// legend explains the marks that appear among the probes.
func legend(probes []gate.Probe) string {
	seen := map[ci.Tone]bool{}
	for _, p := range probes {
		seen[ToneOf(p)] = true
	}
	var parts []string
	for _, t := range []struct {
		tone ci.Tone
		says string
	}{{ci.ToneBad, "breaks the gate"}, {ci.ToneUnknown, "has no verdict"}, {ci.ToneWarn, "has findings within the gate"}, {ci.ToneGood, "has none"}} {
		if seen[t.tone] {
			parts = append(parts, toneMark[t.tone]+" "+t.says)
		}
	}
	return strings.Join(parts, ", ")
}
