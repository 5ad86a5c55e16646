package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/golden"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

func renderSARIF(t *testing.T, targetID int32, location string) ([]byte, testenv.SARIF) {
	t.Helper()
	r := hostileResult()
	r.TargetID = targetID
	var b bytes.Buffer
	if err := SARIF(&b, r, SARIFOptions{Location: location, Version: "test"}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), decode[testenv.SARIF](t, b.Bytes())
}

// TestSARIF: valid against the official schema whatever the probe names,
// one rule per probe, one result per probe with findings at the level of
// its verdict, every result pointing at the location, fingerprints stable
// across runs and distinct across targets.
func TestSARIF(t *testing.T) {
	t.Parallel()
	// The official SARIF 2.1.0 JSON schema (a copy from the npm package
	// @microsoft/jest-sarif).
	schema := compileSchema(t, "testdata/sarif/sarif-2.1.0-rtm.5.json", "sarif-2.1.0.json")
	data, doc := renderSARIF(t, 42, ".github/workflows/red-team.yml")
	golden.Check(t, "testdata/report/hostile.sarif.json", string(data))
	for _, loc := range []string{".github/workflows/red-team.yml", ""} {
		data, _ := renderSARIF(t, 42, loc)
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("location %q: not valid SARIF 2.1.0: %v", loc, err)
		}
	}
	// What every rule shares is written once; each rule links to it.
	if n := bytes.Count(data, []byte("2. Fix the target")); n != 1 {
		t.Errorf("the shared help is written %d times, want once", n)
	}
	if n := bytes.Count(data, []byte(`"helpUri":"`+sarifHelpURI+`"`)); n != 3 {
		t.Errorf("%d rules link to the help, want 3", n)
	}
	run := doc.Runs[0]
	if doc.Schema == "" || run.AutomationDetails.ID != "splx-probe/target-42/" || len(run.Tool.Driver.Rules) != 3 || run.Tool.Driver.Rules[1].ID != "splx-probe/2" {
		t.Errorf("run: %+v", run)
	}
	// Probe 1 and 3 have findings over the 5% gate; probe 2 has none.
	if len(run.Results) != 2 || run.Results[0].Level != "error" || run.Results[0].RuleID != "splx-probe/1" || run.Results[1].RuleID != "splx-probe/3" {
		t.Fatalf("results: %+v", run.Results)
	}
	for _, res := range run.Results {
		if len(res.Locations) != 1 || res.Locations[0].PhysicalLocation.ArtifactLocation.URI != ".github/workflows/red-team.yml" {
			t.Errorf("result %s: locations %+v", res.RuleID, res.Locations)
		}
		if !strings.Contains(res.Message.Text, "https://probe.splx.ai/w/ws/target/42/test-runs/7") || !strings.Contains(res.Message.Text, "test cases failed") {
			t.Errorf("message %q lacks the counts or the link", res.Message.Text)
		}
	}
	_, again := renderSARIF(t, 42, "")
	_, other := renderSARIF(t, 43, "")
	seen := map[string]string{}
	for i, res := range run.Results {
		for _, name := range []string{sarifFingerprint, lineHash} {
			fp := res.PartialFingerprints[name]
			if fp == "" || again.Runs[0].Results[i].PartialFingerprints[name] != fp {
				t.Errorf("%s: %s not stable across runs and locations", res.RuleID, name)
			}
			if other.Runs[0].Results[i].PartialFingerprints[name] == fp {
				t.Errorf("%s: the same %s for targets 42 and 43", res.RuleID, name)
			}
			if prev, dup := seen[fp]; dup {
				t.Errorf("%s and %s share a fingerprint", prev, res.RuleID)
			}
			seen[fp] = res.RuleID
		}
	}
	if len(again.Runs[0].Results[0].Locations) != 0 {
		t.Error("a result without a location setting got one")
	}
	if other.Runs[0].AutomationDetails.ID == run.AutomationDetails.ID {
		t.Error("two targets share an automation id")
	}
}

// TestSeverity: the Security tab ranks a quarter or more of successful
// attacks Critical, a probe over the gate or with 5% or more High, any
// other finding Medium.
func TestSeverity(t *testing.T) {
	t.Parallel()
	tests := []struct {
		failed, total int64
		verdict       gate.Verdict
		want          string
	}{
		{25, 100, gate.Findings, "9.5"},
		{1, 3, gate.Failed, "9.5"},
		{24, 100, gate.Findings, "7.5"},
		{5, 100, gate.Findings, "7.5"},
		{1, 100, gate.Failed, "7.5"},
		{4, 100, gate.Findings, "5.0"},
		{0, 100, gate.Passed, "5.0"},
	}
	for _, tt := range tests {
		if got := Severity(gate.Probe{Failed: tt.failed, Total: tt.total, Verdict: tt.verdict}); got != tt.want {
			t.Errorf("%d of %d, %s: %s, want %s", tt.failed, tt.total, tt.verdict, got, tt.want)
		}
	}
}
