package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/deliver"
)

// actionOnlyInputs are inputs of the composite action that choose how the
// binary is installed; they are not settings of the tool.
var actionOnlyInputs = []string{"download-url", "build-from-source"}

// TestActionYAML keeps both actions in step with the settings: every setting
// a GitHub user may give is an input with its help text, no input has a
// default (which would beat a SPLX_* variable set by the workflow), every
// output is declared, and the composite action hands every input to the
// binary. That mapping is checked here because act, unlike GitHub's runner,
// sets INPUT_* in composite steps itself: a test under act cannot miss it.
func TestActionYAML(t *testing.T) {
	t.Parallel()
	var want []string
	for _, s := range config.Settings() {
		if !s.EnvOnly {
			want = append(want, s.Name)
		}
	}
	for _, tt := range []struct {
		file  string
		extra []string
	}{
		{"action.yml", actionOnlyInputs},
		{"docker/action.yml", nil},
	} {
		data, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		inputs := text[strings.Index(text, "\ninputs:\n"):strings.Index(text, "\noutputs:\n")]
		outputs := text[strings.Index(text, "\noutputs:\n"):strings.Index(text, "\nruns:\n")]
		var got []string
		for _, m := range regexp.MustCompile(`(?m)^  ([a-z-]+):$`).FindAllStringSubmatch(inputs, -1) {
			got = append(got, m[1])
		}
		if diff := cmp.Diff(append(append([]string(nil), want...), tt.extra...), got); diff != "" {
			t.Errorf("%s inputs (-settings +file):\n%s", tt.file, diff)
		}
		for _, s := range config.Settings() {
			if !s.EnvOnly && !strings.Contains(inputs, s.Help) {
				t.Errorf("%s: input %s does not carry the help text %q", tt.file, s.Name, s.Help)
			}
		}
		// Defaults belong to the binary, so that a blank input falls through
		// to SPLX_*; the one exception is the GitHub token, which only the
		// workflow can give.
		defaults := regexp.MustCompile(`(?m)^    default: (.*)$`).FindAllStringSubmatch(inputs, -1)
		if len(defaults) != 1 || defaults[0][1] != "${{ github.token }}" || !strings.Contains(inputs, "  github-token:\n    description:") {
			t.Errorf("%s: input defaults %v; only github-token defaults (to ${{ github.token }})", tt.file, defaults)
		}
		for _, name := range []string{"args", "entrypoint"} {
			if strings.Contains(inputs, "\n  "+name+":") {
				t.Errorf("%s: input %q: act lets it override the container's arguments", tt.file, name)
			}
		}
		for _, o := range deliver.Outputs() {
			out := o.Name
			if !strings.Contains(outputs, "\n  "+out+":\n    description: '"+o.Meaning+"'") {
				t.Errorf("%s: output %s is not declared with the description %q", tt.file, out, o.Meaning)
			}
			if tt.file == "action.yml" && !strings.Contains(outputs, "value: ${{ steps.run.outputs."+out+" }}") {
				t.Errorf("%s: output %s does not come from the run step", tt.file, out)
			}
		}
	}

	composite, _ := os.ReadFile("action.yml")
	text := string(composite)
	if !strings.Contains(text, "using: composite") {
		t.Fatal("action.yml is not a composite action")
	}
	run := text[strings.Index(text, "    - id: run\n"):]
	for _, name := range want {
		line := "        INPUT_" + strings.ToUpper(name) + ": ${{ inputs." + name + " }}\n"
		if !strings.Contains(run, line) {
			t.Errorf("the run step does not map input %s: want %q", name, strings.TrimSpace(line))
		}
	}
	if n := strings.Count(run, ": ${{ inputs."); n != len(want) {
		t.Errorf("the run step maps %d inputs, want %d", n, len(want))
	}
	for _, step := range []string{"id: install", "id: run"} {
		if !strings.Contains(text, "    - "+step+"\n      shell: bash\n") {
			t.Errorf("step %s must use shell: bash (Git Bash on Windows runners)", step)
		}
	}

	docker, _ := os.ReadFile("docker/action.yml")
	if !regexp.MustCompile(`(?m)^  using: docker\n  image: docker://ghcr\.io/splx-ai/splx-probe-action:1$`).Match(docker) {
		t.Error("docker/action.yml must run the published image (the release commit pins its digest)")
	}
}
