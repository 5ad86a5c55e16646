package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/probetest"
)

// TestSARIFOutput: through the real entry point, sarif-path writes the file
// for code scanning pointing at the workflow that ran (or sarif-location),
// sets the output, and is refused without wait or target-id.
func TestSARIFOutput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      []string
		code     cli.ExitCode
		location string
		want     string
	}{
		{"the workflow that ran", []string{"GITHUB_WORKFLOW_REF", "acme/chatbot/.github/workflows/red-team.yml@refs/heads/main"}, cli.ExitGateFailed, ".github/workflows/red-team.yml", ""},
		{"sarif-location wins", []string{"GITHUB_WORKFLOW_REF", "acme/chatbot/.github/workflows/red-team.yml@refs/heads/main", "SPLX_SARIF_LOCATION", "ai/target.md"}, cli.ExitGateFailed, "ai/target.md", ""},
		{"no location: written, with a warning", nil, cli.ExitGateFailed, "", "GitHub code scanning rejects such results: set sarif-location"},
		{"without wait", []string{"SPLX_WAIT", "false"}, cli.ExitInvalidInput, "", "sarif-path: only applies when waiting for the run"},
		{"without target-id", []string{"SPLX_TARGET_ID", "", "SPLX_PROBE_IDS", "", "SPLX_TEST_RUN_ID", "1001"}, cli.ExitInvalidInput, "", "sarif-path: needs target-id as well"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newAPI(t, probetest.WithSteps(0))
			env := waitEnv(t, api, "SPLX_PROBE_IDS", "1,4", "SPLX_MAX_FAILED_PERCENT", "5")
			path := filepath.Join(filepath.Dir(env["GITHUB_OUTPUT"]), "out", "splx.sarif")
			env = with(env, append([]string{"SPLX_SARIF_PATH", path}, tt.env...)...)
			r := invoke(t, context.Background(), env)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tt.code, r.stdout, r.stderr)
			}
			if tt.want != "" && !strings.Contains(r.stdout+r.stderr, tt.want) {
				t.Errorf("output lacks %q\n%s%s", tt.want, r.stdout, r.stderr)
			}
			if tt.code == cli.ExitInvalidInput {
				if len(api.Requests()) != 0 {
					t.Error("a refused setting still sent requests")
				}
				return
			}
			data, err := os.ReadFile(path)
			if err != nil || r.outputs["sarif-path"] != path {
				t.Fatalf("SARIF not written (%v) or output %q", err, r.outputs["sarif-path"])
			}
			var doc struct {
				Runs []struct {
					Results []struct {
						RuleID    string `json:"ruleId"`
						Level     string `json:"level"`
						Locations []struct {
							PhysicalLocation struct {
								ArtifactLocation struct {
									URI string `json:"uri"`
								} `json:"artifactLocation"`
							} `json:"physicalLocation"`
						} `json:"locations"`
					} `json:"results"`
				} `json:"runs"`
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			// Jailbreak (2.4%) is within the 5% gate, Toxicity (20%) over it.
			res := doc.Runs[0].Results
			if len(res) != 2 || res[0].RuleID != "splx-probe/1" || res[0].Level != "warning" || res[1].RuleID != "splx-probe/4" || res[1].Level != "error" {
				t.Fatalf("results %+v", res)
			}
			for _, x := range res {
				got := ""
				if len(x.Locations) > 0 {
					got = x.Locations[0].PhysicalLocation.ArtifactLocation.URI
				}
				if got != tt.location {
					t.Errorf("%s points at %q, want %q", x.RuleID, got, tt.location)
				}
			}
		})
	}
}
