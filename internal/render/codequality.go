package render

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/gate"
)

// codeQualityIssue is one entry of GitLab's Code Quality report (a subset
// of the Code Climate issue: the fields GitLab documents).
type codeQualityIssue struct {
	Description string              `json:"description"`
	CheckName   string              `json:"check_name"`
	Fingerprint string              `json:"fingerprint"`
	Severity    string              `json:"severity"`
	Categories  []string            `json:"categories"`
	Location    codeQualityLocation `json:"location"`
}

type codeQualityLocation struct {
	Path  string           `json:"path"`
	Lines codeQualityLines `json:"lines"`
}

type codeQualityLines struct {
	Begin int `json:"begin"`
}

// CodeQualitySeverity is a probe's severity in the Code Quality report,
// from the gate: critical over it, major for a regression within it,
// minor for findings within it.
func CodeQualitySeverity(p gate.Probe) string {
	switch {
	case p.Verdict == gate.Failed:
		return "critical"
	case p.Change == gate.Regressed:
		return "major"
	}
	return "minor"
}

// CodeQuality writes GitLab's Code Quality report: one issue per probe
// with findings, its check_name the probe's rule (splx-probe/<key>, as in
// SARIF), its fingerprint the SARIF one (stable per target and probe, so
// the merge request widget shows which probes are new and which were
// fixed), at location, line 1. A run without findings writes [] (every
// probe fixed): call it only for a run with a verdict. Text from the API is
// one visible line, capped, and encoded by encoding/json.
func CodeQuality(w io.Writer, r *gate.Result, location string) error {
	issues := []codeQualityIssue{}
	for _, p := range r.Probes {
		if p.Failed <= 0 {
			continue
		}
		desc := fmt.Sprintf("SPLX Probe: %s: %d of %d test cases failed (%s%%): successful attacks on target %d",
			escape.Line(nameOf(p), maxName), p.Failed, p.Total, gate.FormatPercent(p.FailedPercent), r.TargetID)
		switch {
		case p.Verdict == gate.Failed:
			desc += "; over the gate: " + escape.Line(p.Reason, 300)
		case p.Change == gate.Regressed:
			desc += "; regressed against the baseline, within the gate"
		}
		issues = append(issues, codeQualityIssue{
			Description: desc + ".",
			CheckName:   "splx-probe/" + p.Key,
			Fingerprint: fingerprint(r.TargetID, p.Key),
			Severity:    CodeQualitySeverity(p),
			Categories:  []string{"Security"},
			Location:    codeQualityLocation{Path: location, Lines: codeQualityLines{Begin: 1}},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(issues)
}
