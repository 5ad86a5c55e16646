package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/probe"
)

// saveOnlyVerdicts is the advice of every refusal of a run without a
// verdict: how the workflow keeps such a file from becoming the baseline.
const saveOnlyVerdicts = "save results-path as the baseline only when the result output is passed or failed"

// ReadBaseline reads a results file written earlier by results-path (the
// last run on the default branch, typically) as the baseline of a run on
// target. Only the file of a finished run that reached a verdict (passed
// or failed) on that same target is a baseline, whatever else it says:
// anything else is refused, with what is wrong. The file must be one JSON
// document and nothing after it. A probe id the file holds twice is kept
// as ambiguous (see gate.BaselineProbe), never merged.
func ReadBaseline(r io.Reader, target int32) (*gate.Baseline, error) {
	var doc struct {
		SchemaVersion *int `json:"schemaVersion"`
		Tool          struct {
			Name string `json:"name"`
		} `json:"tool"`
		TestRunID int32  `json:"testRunId"`
		TargetID  int32  `json:"targetId"`
		URL       string `json:"url"`
		Status    string `json:"status"`
		Result    string `json:"result"`
		Probes    *[]struct {
			Key     string `json:"key"`
			Name    string `json:"name"`
			ProbeID *int64 `json:"probeId"`
			Total   *int64 `json:"total"`
			Failed  *int64 `json:"failed"`
			Verdict string `json:"verdict"`
		} `json:"probes"`
	}
	dec := json.NewDecoder(r)
	if err := dec.Decode(&doc); err != nil || doc.SchemaVersion == nil || doc.Tool.Name != "splx-probe-action" || doc.Probes == nil {
		return nil, errors.New("is not a results file written by results-path")
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("has more after its JSON document (from byte %d): a results file is one document; write it again with results-path", end)
	}
	if *doc.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("has results schema version %d, which this version of the tool does not read (it reads %d); write the baseline again with this version", *doc.SchemaVersion, SchemaVersion)
	}
	if doc.Result != string(gate.Passed) && doc.Result != string(gate.Failed) {
		return nil, fmt.Errorf("is the results file of test run %d, which reached no verdict (result %s): only a run that passed or failed is a baseline; %s", doc.TestRunID, quoteText(doc.Result), saveOnlyVerdicts)
	}
	if probe.PhaseOf(doc.Status) != probe.PhaseFinished {
		return nil, fmt.Errorf("says result %s but status %s: only a FINISHED run reaches a verdict, so it is no baseline; %s", doc.Result, quoteText(doc.Status), saveOnlyVerdicts)
	}
	switch {
	case doc.TargetID == 0:
		return nil, fmt.Errorf("has no targetId (a run attached with test-run-id and no target-id writes such files), so nothing says it is of target %d; write the baseline with target-id set", target)
	case doc.TargetID != target:
		return nil, fmt.Errorf("is the baseline of target %d, not of target %d", doc.TargetID, target)
	case len(*doc.Probes) == 0:
		return nil, errors.New("has no probes, which no run with a verdict has")
	}
	b := &gate.Baseline{TestRunID: doc.TestRunID, URL: webURL(doc.URL), Probes: map[string]gate.BaselineProbe{}}
	for i, p := range *doc.Probes {
		// Files written before keys existed have only the probe id, which
		// was then the key.
		k := p.Key
		if k == "" && p.ProbeID != nil {
			k = strconv.FormatInt(*p.ProbeID, 10)
		}
		if k == "" || p.Total == nil || p.Failed == nil {
			return nil, fmt.Errorf("has a probe (number %d of the list) without a key or probeId, total or failed", i+1)
		}
		if *p.Total <= 0 || *p.Total > gate.MaxCount || *p.Failed < 0 || *p.Failed > *p.Total {
			return nil, fmt.Errorf("has probe %s with failed %d of total %d, which no run with a verdict has", quoteText(k), *p.Failed, *p.Total)
		}
		switch gate.Verdict(p.Verdict) {
		case gate.Passed, gate.Findings, gate.Failed:
		default:
			return nil, fmt.Errorf("has probe %s with verdict %s: only probes that were judged make a baseline; %s", quoteText(k), quoteText(p.Verdict), saveOnlyVerdicts)
		}
		if _, dup := b.Probes[k]; dup {
			b.Probes[k] = gate.BaselineProbe{Ambiguous: true}
			continue
		}
		b.Probes[k] = gate.BaselineProbe{Failed: *p.Failed, Total: *p.Total, Name: escape.Truncate(p.Name, maxName)}
	}
	return b, nil
}

// quoteText shows a string from a file in a message: one short line.
func quoteText(s string) string {
	if strings.TrimSpace(s) == "" {
		return "empty"
	}
	return fmt.Sprintf("%q", escape.Line(s, 40))
}

// webURL is a link from a file, kept only when it is a plain https URL: a
// comment and a summary link it.
func webURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || strings.ContainsAny(s, " \t\r\n()<>[]\"'`") {
		return ""
	}
	return s
}
