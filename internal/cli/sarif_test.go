package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
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
		{"no location: written, with a warning", nil, cli.ExitGateFailed, "", "GitHub code scanning rejects such results (GitLab drops them): set sarif-location"},
		{"without wait", []string{"SPLX_WAIT", "false"}, cli.ExitInvalidInput, "", "sarif-path: only applies when waiting for the run"},
		{"without target-id", []string{"SPLX_TARGET_ID", "", "SPLX_PROBE_IDS", "", "SPLX_TEST_RUN_ID", "1001"}, cli.ExitInvalidInput, "", "sarif-path: needs target-id as well"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, fakeapi.WithSteps(0))
			env := waitEnv(t, api, "SPLX_PROBE_IDS", "1,4", "SPLX_MAX_FAILED_PERCENT", "5")
			path := filepath.Join(filepath.Dir(env["GITHUB_OUTPUT"]), "out", "splx.sarif")
			env = testenv.With(env, append([]string{"SPLX_SARIF_PATH", path}, tt.env...)...)
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
			var doc testenv.SARIF
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

// TestSARIFOnlyWithVerdict: a run without a verdict writes no SARIF file
// and sets no sarif-path output, so the README's upload step, which runs
// only when the output is set, cannot close every alert as fixed.
func TestSARIFOnlyWithVerdict(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []fakeapi.Option
		env  []string
		code cli.ExitCode
	}{
		{"ended ERROR", []fakeapi.Option{fakeapi.WithFinalStatus("ERROR")}, nil, cli.ExitNoVerdict},
		{"cancelled", []fakeapi.Option{fakeapi.WithFinalStatus("CANCELLED")}, nil, cli.ExitNoVerdict},
		{"untrusted counts", []fakeapi.Option{fakeapi.WithProbes(fakeapi.Probe{ID: 1, Name: "Odd", Total: 10, Failed: 15})}, []string{"SPLX_PROBE_IDS", "1"}, cli.ExitNoVerdict},
		{"timed out", []fakeapi.Option{fakeapi.WithSteps(1000)}, []string{"SPLX_TIMEOUT", "5s"}, cli.ExitTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, tt.opts...)
			env := waitEnv(t, api, tt.env...)
			path := filepath.Join(filepath.Dir(env["GITHUB_OUTPUT"]), "splx.sarif")
			r := invoke(t, context.Background(), testenv.With(env, "SPLX_SARIF_PATH", path, "GITHUB_WORKFLOW_REF", "acme/chatbot/.github/workflows/red-team.yml@refs/heads/main"))
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, tt.code, r.stdout)
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("a SARIF file was written (%v)", err)
			}
			if v, ok := r.outputs["sarif-path"]; ok {
				t.Errorf("sarif-path output set to %q", v)
			}
			if !strings.Contains(r.stdout, "No SARIF file: the run reached no verdict") {
				t.Errorf("the log does not say why there is no SARIF file\n%s", r.stdout)
			}
		})
	}
}

// TestSARIFIdentityIgnoresWorkflow: every result carries its own
// primaryLocationLineHash, so upload-sarif does not compute one from the
// workflow file: renaming the workflow, editing its first line or pointing
// sarif-location elsewhere keeps every alert's identity; another target
// or probe gets another.
func TestSARIFIdentityIgnoresWorkflow(t *testing.T) {
	t.Parallel()
	hashes := func(workflow, firstLine string, kv ...string) map[string]string {
		t.Helper()
		api := testenv.NewAPI(t, fakeapi.WithSteps(0))
		env := waitEnv(t, api, append([]string{"SPLX_PROBE_IDS", "1,4", "GITHUB_WORKFLOW_REF", "acme/chatbot/" + workflow + "@refs/heads/main"}, kv...)...)
		dir := filepath.Dir(env["GITHUB_OUTPUT"])
		testenv.WriteFile(t, filepath.Join(dir, workflow), firstLine+"\non: push\n")
		path := filepath.Join(dir, "splx.sarif")
		r := invoke(t, context.Background(), testenv.With(env, "SPLX_SARIF_PATH", path))
		if r.outputs["sarif-path"] != path {
			t.Fatalf("exit %d, no SARIF\n%s", r.code, r.stdout)
		}
		data, _ := os.ReadFile(path)
		var doc testenv.SARIF
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, res := range doc.Runs[0].Results {
			h := res.PartialFingerprints["primaryLocationLineHash"]
			if h == "" {
				t.Errorf("%s has no primaryLocationLineHash: upload-sarif would hash the workflow's first line", res.RuleID)
			}
			out[res.RuleID] = h
		}
		return out
	}
	first := hashes(".github/workflows/red-team.yml", "name: red team")
	for _, edit := range []struct {
		name, workflow, line string
		kv                   []string
	}{
		{"first line edited", ".github/workflows/red-team.yml", "name: AI red team # renamed", nil},
		{"workflow renamed", ".github/workflows/security.yml", "name: red team", nil},
		{"sarif-location set", ".github/workflows/red-team.yml", "name: red team", []string{"SPLX_SARIF_LOCATION", "ai/target.md"}},
	} {
		if got := hashes(edit.workflow, edit.line, edit.kv...); !cmp.Equal(got, first) {
			t.Errorf("%s: the alerts' identity changed:\n%s", edit.name, cmp.Diff(first, got))
		}
	}
	other := hashes(".github/workflows/red-team.yml", "name: red team", "SPLX_TARGET_ID", "43")
	if len(first) != 2 || first["splx-probe/1"] == first["splx-probe/4"] || other["splx-probe/1"] == first["splx-probe/1"] {
		t.Errorf("identities do not tell probes and targets apart: %v %v", first, other)
	}
}
