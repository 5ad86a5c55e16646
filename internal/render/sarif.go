package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

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

// sarifDriver is the driver without its rules; the rules and results
// are written one by one after it.
type sarifDriver struct {
	Name            string    `json:"name"`
	Version         string    `json:"version,omitempty"`
	InformationURI  string    `json:"informationUri"`
	FullDescription sarifHelp `json:"fullDescription"`
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
//
// The log streams to w: each rule and each result is encoded on its own
// line, so a run of any size costs one element's memory, and the file has
// no indentation to carry (code scanning reads it, people rarely do). What
// every rule would repeat, what a finding means and what to do, is written
// once, as the driver's fullDescription; each rule's help says it briefly
// and links to it.
func SARIF(w io.Writer, r *gate.Result, o SARIFOptions) error {
	target := strconv.Itoa(int(r.TargetID))
	e := newElements(w)
	e.raw(`{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","version":"2.1.0","runs":[{` + "\n" + `"tool":{"driver":`)
	driver := e.encode(sarifDriver{
		Name: "splx-probe", Version: o.Version,
		InformationURI:  "https://github.com/splx-ai/splx-probe-action",
		FullDescription: sarifHelp{Text: sarifHelpText, Markdown: sarifHelpMarkdown},
	})
	// The driver's object stays open for its rules.
	e.raw(strings.TrimSuffix(string(driver), "}") + `,"rules":[` + "\n")
	// Keys are unique in a run (gate.Keys): one rule each, at the probe's
	// index.
	for _, p := range r.Probes {
		name, ref := sarifName(p), sarifRef(p)
		e.element(sarifRule{
			ID:               "splx-probe/" + p.Key,
			Name:             name,
			ShortDescription: sarifText{Text: "SPLX Probe: " + name},
			FullDescription:  sarifText{Text: fmt.Sprintf("Attacks of the SPLX Probe probe %q (%s) that succeeded against target %s.", name, ref, target)},
			Help: sarifHelp{
				Text:     fmt.Sprintf("Successful attacks of the probe %s (%s) on target %s. %s", name, ref, target, sarifRuleHelpText),
				Markdown: fmt.Sprintf("**SPLX Probe: %s** (probe %s, target %s)\n\n%s", escape.MarkdownCell(nameOf(p), maxName), ref, target, sarifRuleHelpMarkdown),
			},
			HelpURI: sarifHelpURI,
			Properties: sarifRuleProps{
				Tags:             []string{"security", "ai-red-teaming", "splx-probe"},
				SecuritySeverity: Severity(p),
				Precision:        sarifPrecision,
			},
		})
	}
	e.end("]}},\n")
	e.raw(`"automationDetails":{"id":` + string(e.encode("splx-probe/target-"+target+"/")) + "},\n" + `"results":[` + "\n")
	for ri, p := range r.Probes {
		if p.Failed <= 0 {
			continue
		}
		level := "warning"
		if p.Verdict == gate.Failed {
			level = "error"
		}
		msg := fmt.Sprintf("%s: %d of %d test cases failed (%s%%): successful attacks on target %s", sarifName(p), p.Failed, p.Total, gate.FormatPercent(p.FailedPercent), target)
		if p.Verdict == gate.Failed {
			msg += "; over the gate: " + p.Reason
		}
		msg += fmt.Sprintf(". Test run %d", r.TestRunID)
		if r.URL != "" {
			msg += ": " + r.URL
		}
		fp := fingerprint(r.TargetID, p.Key)
		res := sarifResult{
			RuleID: "splx-probe/" + p.Key, RuleIndex: ri, Level: level,
			Message:             sarifText{Text: msg + "."},
			PartialFingerprints: map[string]string{sarifFingerprint: fp, lineHash: fp[:16] + ":1"},
		}
		if o.Location != "" {
			res.Locations = []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: o.Location, URIBaseID: "%SRCROOT%"},
				Region:           sarifRegion{StartLine: 1},
			}}}
		}
		e.element(res)
	}
	e.end("]")
	if r.URL != "" {
		e.raw(",\n" + `"properties":{"testRunUrl":` + string(e.encode(r.URL)) + "}")
	}
	e.raw("\n}]}\n")
	return e.err
}

// sarifRef names a probe by its id, or by its key when it has no usable id.
func sarifRef(p gate.Probe) string {
	if _, err := strconv.ParseInt(p.Key, 10, 64); err != nil {
		return "key " + p.Key
	}
	return "id " + p.Key
}

// sarifName is a probe's name as code scanning shows it: one line of
// text, control characters made visible escapes.
func sarifName(p gate.Probe) string {
	return escape.Line(nameOf(p), maxName)
}

// elements writes a JSON array's elements one per line, each encoded on
// its own with one reused buffer, and keeps the first error.
type elements struct {
	w     io.Writer
	buf   bytes.Buffer
	enc   *json.Encoder
	first bool
	err   error
}

func newElements(w io.Writer) *elements {
	e := &elements{w: w, first: true}
	e.enc = json.NewEncoder(&e.buf)
	return e
}

// encode returns v's compact JSON, valid until the next call.
func (e *elements) encode(v any) []byte {
	e.buf.Reset()
	if err := e.enc.Encode(v); err != nil && e.err == nil {
		e.err = err
	}
	return bytes.TrimSuffix(e.buf.Bytes(), []byte("\n"))
}

func (e *elements) raw(s string) {
	if e.err == nil {
		_, e.err = io.WriteString(e.w, s)
	}
}

// element writes v as the array's next element.
func (e *elements) element(v any) {
	data := e.encode(v)
	if !e.first {
		e.raw(",\n")
	}
	e.first = false
	if e.err == nil {
		_, e.err = e.w.Write(data)
	}
}

// end closes the array with s and starts the next one.
func (e *elements) end(s string) {
	if !e.first {
		e.raw("\n")
	}
	e.first = true
	e.raw(s)
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

// sarifHelpText and sarifHelpMarkdown say what the results mean and what
// to do, once for every rule (the driver's fullDescription);
// sarifRuleHelpText and sarifRuleHelpMarkdown are each rule's short help,
// which points there.
const (
	sarifHelpText     = "A failed test case is an attack that succeeded against the AI application under test. Review the test run in the SPLX Probe web UI, fix the target, and run the probe again: the alert closes when the probe has no findings. Severity: Critical when a quarter or more of the attacks succeeded, High when 5% or more did or the probe is over the gate, Medium otherwise."
	sarifHelpMarkdown = "A *failed* test case is an attack that **succeeded** against the AI application under test.\n\n" +
		"1. Open the test run linked in the alert in the SPLX Probe web UI and read the successful attacks.\n" +
		"2. Fix the target (system prompt, guardrails, tools it may call).\n" +
		"3. Run the probe again: the alert closes when the probe has no findings.\n\n" +
		"Severity: Critical when a quarter or more of the attacks succeeded, High when 5% or more did or the probe is over the gate, Medium otherwise. " +
		"See [Code scanning (SARIF)](" + sarifHelpURI + ")."
	sarifRuleHelpText     = "A failed test case is an attack that succeeded: open the test run linked in the alert, fix the target and run the probe again; the alert closes when the probe has no findings. More: " + sarifHelpURI
	sarifRuleHelpMarkdown = "A *failed* test case is an attack that **succeeded**: open the test run linked in the alert, fix the target and run the probe again; the alert closes when the probe has no findings. " +
		"What to do and how severity is ranked: [Code scanning (SARIF)](" + sarifHelpURI + ")."
)
