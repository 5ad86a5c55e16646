package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/gate"
)

// SARIFOptions say where the results point and who wrote them.
type SARIFOptions struct {
	// Location is the repository file every result points at (code scanning
	// needs one): the workflow that ran, or the sarif-location setting. ""
	// writes results without a location.
	Location string
	// Version is the tool's version.
	Version string
}

// sarifFingerprint names the partial fingerprint: code scanning keeps one
// alert per value across runs.
const sarifFingerprint = "splxProbeTargetProbe/v1"

// lineHash is the partial fingerprint code scanning matches alerts by.
// upload-sarif computes it from the text at the result's location (the
// first line of the workflow file) only when a result has none, and keeps
// a value that is present: ours depends only on the target and the probe,
// so renaming or editing the workflow file keeps every alert.
const lineHash = "primaryLocationLineHash"

// sarifHelpURI documents the results for the rule's help link.
const sarifHelpURI = "https://github.com/splx-ai/splx-probe-action#code-scanning-sarif"

// sarifPrecision is every rule's precision: each result counts attacks
// that ran and that the platform evaluated as successful, not a guess from
// reading code; the evaluation is automated, hence not very-high.
const sarifPrecision = "high"

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool         `json:"tool"`
	AutomationDetails sarifAutomation   `json:"automationDetails"`
	Results           []sarifResult     `json:"results"`
	Properties        map[string]string `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifRule struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	ShortDescription sarifText      `json:"shortDescription"`
	FullDescription  sarifText      `json:"fullDescription"`
	Help             sarifHelp      `json:"help"`
	HelpURI          string         `json:"helpUri"`
	Properties       sarifRuleProps `json:"properties"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifRuleProps struct {
	Tags             []string `json:"tags"`
	SecuritySeverity string   `json:"security-severity"`
	Precision        string   `json:"precision"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifText         `json:"message"`
	Locations           []sarifLocation   `json:"locations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// SARIF writes the results for GitHub code scanning: SARIF 2.1.0, one rule
// per probe (splx-probe/<key>, see gate.Keys), one result per probe with findings, at
// level error when the probe broke the gate and warning when its findings
// are within it. Fingerprints depend only on the target and the probe, so
// code scanning keeps one alert per target and probe open across runs and
// closes it when the findings go away; the run's automation id names the
// target, so several targets upload side by side. Text from the API is
// made one visible line, capped, and encoded by encoding/json.
func SARIF(w io.Writer, r *gate.Result, o SARIFOptions) error {
	target := strconv.Itoa(int(r.TargetID))
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name: "splx-probe", Version: o.Version,
			InformationURI: "https://github.com/splx-ai/splx-probe-action",
			Rules:          []sarifRule{},
		}},
		AutomationDetails: sarifAutomation{ID: "splx-probe/target-" + target + "/"},
		Results:           []sarifResult{},
	}
	if r.URL != "" {
		run.Properties = map[string]string{"testRunUrl": r.URL}
	}
	for _, p := range r.Probes {
		// Code scanning shows these as lines of text: control characters
		// become visible escapes.
		name := escape.Line(nameOf(p), maxName)
		ref := "id " + p.Key
		if _, err := strconv.ParseInt(p.Key, 10, 64); err != nil {
			ref = "key " + p.Key
		}
		// Keys are unique in a run (gate.Keys): one rule each.
		key, ri := p.Key, len(run.Tool.Driver.Rules)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID:               "splx-probe/" + key,
			Name:             name,
			ShortDescription: sarifText{Text: "SPLX Probe: " + name},
			FullDescription:  sarifText{Text: fmt.Sprintf("Attacks of the SPLX Probe probe %q (%s) that succeeded against target %s.", name, ref, target)},
			Help: sarifHelp{
				Text:     sarifHelpText,
				Markdown: fmt.Sprintf("**SPLX Probe: %s** (probe %s, target %s)\n\n%s", escape.MarkdownCell(nameOf(p), maxName), ref, target, sarifHelpMarkdown),
			},
			HelpURI: sarifHelpURI,
			Properties: sarifRuleProps{
				Tags:             []string{"security", "ai-red-teaming", "splx-probe"},
				SecuritySeverity: Severity(p),
				Precision:        sarifPrecision,
			},
		})
		if p.Failed <= 0 {
			continue
		}
		level := "warning"
		if p.Verdict == gate.Failed {
			level = "error"
		}
		msg := fmt.Sprintf("%s: %d of %d test cases failed (%s%%): successful attacks on target %s", name, p.Failed, p.Total, FormatPercent(p.FailedPercent), target)
		if p.Verdict == gate.Failed {
			msg += "; over the gate: " + p.Reason
		}
		msg += fmt.Sprintf(". Test run %d", r.TestRunID)
		if r.URL != "" {
			msg += ": " + r.URL
		}
		fp := fingerprint(r.TargetID, key)
		res := sarifResult{
			RuleID: run.Tool.Driver.Rules[ri].ID, RuleIndex: ri, Level: level,
			Message:             sarifText{Text: msg + "."},
			PartialFingerprints: map[string]string{sarifFingerprint: fp, lineHash: fp[:16] + ":1"},
		}
		if o.Location != "" {
			res.Locations = []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: o.Location, URIBaseID: "%SRCROOT%"},
				Region:           sarifRegion{StartLine: 1},
			}}}
		}
		run.Results = append(run.Results, res)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	})
}

// fingerprint is stable for a target and a probe's key, and differs between
// them. A key that is a probe id gives the fingerprint earlier versions gave.
func fingerprint(target int32, key string) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("splx-probe target %d probe %s", target, key)))
	return hex.EncodeToString(sum[:16])
}

// Severity is a probe's security-severity for code scanning, which ranks
// 9.0 and over Critical, 7.0 to 8.9 High, 4.0 to 6.9 Medium. A successful
// attack on an AI application is at least Medium; a probe over the gate,
// or one where 5% or more of the attacks succeeded, is High; one where a
// quarter or more succeeded is Critical.
func Severity(p gate.Probe) string {
	switch share := gate.Share(p.Failed, p.Total); {
	case share >= 25:
		return "9.5"
	case p.Verdict == gate.Failed || share >= 5:
		return "7.5"
	}
	return "5.0"
}

// sarifHelpText and sarifHelpMarkdown are every rule's help.
const (
	sarifHelpText     = "A failed test case is an attack that succeeded against the AI application under test. Review the test run in the SPLX Probe web UI, fix the target, and run the probe again: the alert closes when the probe has no findings."
	sarifHelpMarkdown = "A *failed* test case is an attack that **succeeded** against the AI application under test.\n\n" +
		"1. Open the test run linked in the alert in the SPLX Probe web UI and read the successful attacks.\n" +
		"2. Fix the target (system prompt, guardrails, tools it may call).\n" +
		"3. Run the probe again: the alert closes when the probe has no findings.\n\n" +
		"Severity: Critical when a quarter or more of the attacks succeeded, High when 5% or more did or the probe is over the gate, Medium otherwise. " +
		"See [Code scanning (SARIF)](" + sarifHelpURI + ")."
)
