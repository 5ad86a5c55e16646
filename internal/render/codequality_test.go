package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/golden"
)

type codeQualityDoc []struct {
	Description string `json:"description"`
	CheckName   string `json:"check_name"`
	Fingerprint string `json:"fingerprint"`
	Severity    string `json:"severity"`
	Location    struct {
		Path  string `json:"path"`
		Lines struct {
			Begin int `json:"begin"`
		} `json:"lines"`
	} `json:"location"`
}

func renderCodeQuality(t *testing.T, r *gate.Result, location string) ([]byte, codeQualityDoc) {
	t.Helper()
	var b bytes.Buffer
	if err := CodeQuality(&b, r, location); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), decode[codeQualityDoc](t, b.Bytes())
}

// TestCodeQuality: valid against GitLab's documented fields whatever the
// probe names, one issue per probe with findings, its fingerprint the
// SARIF one (stable across runs, distinct across probes and targets), at
// the pipeline file's first line, the bytes the same on every run; a run
// without findings is an empty list, not an absent one.
func TestCodeQuality(t *testing.T) {
	t.Parallel()
	// The fields GitLab documents for a Code Quality report.
	schema := compileSchema(t, "testdata/codequality/gitlab-codequality.schema.json", "codequality.json")
	data, doc := renderCodeQuality(t, hostileResult(), "ci/red-team.gitlab-ci.yml")
	golden.Check(t, "testdata/report/hostile.codequality.json", string(data))
	again, _ := renderCodeQuality(t, hostileResult(), "ci/red-team.gitlab-ci.yml")
	if !bytes.Equal(data, again) {
		t.Error("two renderings of one result differ")
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(inst); err != nil {
		t.Errorf("not a valid Code Quality report: %v", err)
	}
	_, sarif := renderSARIF(t, 42, "")
	other := hostileResult()
	other.TargetID = 43
	_, otherDoc := renderCodeQuality(t, other, "x.yml")
	if len(doc) != 2 || doc[0].CheckName != "splx-probe/1" || doc[1].CheckName != "splx-probe/3" {
		t.Fatalf("issues: %+v", doc)
	}
	for i, is := range doc {
		if is.Fingerprint != sarif.Runs[0].Results[i].PartialFingerprints[sarifFingerprint] {
			t.Errorf("%s: fingerprint %s is not the SARIF one", is.CheckName, is.Fingerprint)
		}
		if is.Fingerprint == otherDoc[i].Fingerprint {
			t.Errorf("%s: the same fingerprint for targets 42 and 43", is.CheckName)
		}
		if is.Location.Path != "ci/red-team.gitlab-ci.yml" || is.Location.Lines.Begin != 1 || is.Severity != "critical" {
			t.Errorf("%s: %+v", is.CheckName, is)
		}
		if strings.ContainsAny(is.Description, "\n\x1b\x00") || !strings.Contains(is.Description, "test cases failed") {
			t.Errorf("%s: description %q", is.CheckName, is.Description)
		}
	}
	if doc[0].Fingerprint == doc[1].Fingerprint {
		t.Error("two probes share a fingerprint")
	}
	clean := hostileResult()
	clean.Probes = clean.Probes[1:2]
	if data, _ := renderCodeQuality(t, clean, "x.yml"); string(data) != "[]\n" {
		t.Errorf("a run without findings: %s", data)
	}
}

// TestCodeQualitySeverity: the merge request widget ranks a probe over
// the gate above a regression within it, and that above other findings.
func TestCodeQualitySeverity(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		p    gate.Probe
		want string
	}{
		{gate.Probe{Failed: 1, Verdict: gate.Failed}, "critical"},
		{gate.Probe{Failed: 1, Verdict: gate.Failed, Change: gate.Regressed}, "critical"},
		{gate.Probe{Failed: 1, Verdict: gate.Findings, Change: gate.Regressed}, "major"},
		{gate.Probe{Failed: 1, Verdict: gate.Findings}, "minor"},
		{gate.Probe{Failed: 1, Verdict: gate.Findings, Change: gate.Improved}, "minor"},
	} {
		if got := CodeQualitySeverity(tt.p); got != tt.want {
			t.Errorf("%s, %s: %s, want %s", tt.p.Verdict, tt.p.Change, got, tt.want)
		}
	}
}
