package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/deliver"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
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

// TestActionRerunCache checks the composite action's cache steps: pinned
// restore and save around the run, saved under always() whatever happened,
// one key per workflow run, step and attempt, restored by prefix, and the
// path handed to the binary. act cannot tell a missing piece here (it runs
// its own cache server), so the file itself is checked.
func TestActionRerunCache(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	steps := text[strings.Index(text, "\n  steps:\n"):]
	at := func(s string) int {
		i := strings.Index(steps, s)
		if i < 0 {
			t.Fatalf("action.yml lacks %q", s)
		}
		return i
	}
	pin := regexp.MustCompile(`uses: actions/cache/(restore|save)@([0-9a-f]{40}) # v4\.\d+\.\d+\n`)
	pins := pin.FindAllStringSubmatch(steps, -1)
	if len(pins) != 2 || pins[0][1] != "restore" || pins[1][1] != "save" || pins[0][2] != pins[1][2] {
		t.Fatalf("want one restore then one save, pinned to the same full commit SHA: %v", pins)
	}
	restore, run, save := at("uses: actions/cache/restore@"), at("    - id: run\n"), at("uses: actions/cache/save@")
	if !strings.Contains(steps, "    - if: github.run_attempt != '1'\n      uses: actions/cache/restore@") {
		t.Error("the restore step must skip the first attempt (nothing to restore), and only it")
	}
	if !(at("    - id: splx-state\n") < restore && restore < run && run < save) {
		t.Error("the order must be: the state key, restore, run, save")
	}
	key := "key: ${{ steps.splx-state.outputs.key }}${{ github.run_attempt }}\n"
	if strings.Count(steps, key) != 2 || !strings.Contains(steps[restore:run], "restore-keys: ${{ steps.splx-state.outputs.key }}\n") {
		t.Errorf("restore and save must use %q, restore by the prefix without the attempt", strings.TrimSpace(key))
	}
	if !strings.Contains(steps[run:save+len("uses: actions/cache/save@")], "\n    - if: always() && steps.splx-state-saved.outputs.exists == 'true'\n      uses: actions/cache/save@") ||
		!strings.Contains(steps[run:save], "    - id: splx-state-saved\n      if: always()\n") {
		t.Error("the save steps must run under always(): a failed or cancelled step is what gets re-run")
	}
	for _, s := range []string{steps[restore:run], steps[save:]} {
		if !strings.Contains(s, "path: ${{ steps.splx-state.outputs.path }}\n") {
			t.Error("restore and save must cache the path the binary writes")
		}
	}
	if !strings.Contains(steps[run:], "        SPLX_STATE_PATH: ${{ steps.splx-state.outputs.path }}\n") {
		t.Error("the run step does not get the state path")
	}

	// The key step, run as the runner would: one key per workflow run and
	// step, the same on every attempt; matrix legs and other steps apart.
	block := steps[at("    - id: splx-state\n"):restore]
	var script strings.Builder
	for _, l := range strings.Split(block[strings.Index(block, "      run: |\n")+len("      run: |\n"):], "\n") {
		if !strings.HasPrefix(l, "        ") {
			break
		}
		script.WriteString(strings.TrimPrefix(l, "        ") + "\n")
	}
	stepEnv := block[strings.Index(block, "SPLX_ACTION_STATE_STEP: ")+len("SPLX_ACTION_STATE_STEP: "):]
	stepEnv = stepEnv[:strings.Index(stepEnv, "\n")]
	keyOf := func(t *testing.T, ctx map[string]string, extra ...string) (key, path string) {
		t.Helper()
		dir := t.TempDir()
		out := filepath.Join(dir, "output")
		step := regexp.MustCompile(`\$\{\{ ([a-z.-]+) \}\}`).ReplaceAllStringFunc(stepEnv, func(m string) string {
			return ctx[strings.TrimSuffix(strings.TrimPrefix(m, "${{ "), " }}")]
		})
		// How the runner runs shell: bash.
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script.String())
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "GITHUB_OUTPUT=" + out, "GITHUB_RUN_ID=555", "RUNNER_TEMP=/runner/temp",
			"SPLX_ACTION_STATE_STEP=" + step, "SPLX_ACTION_STATE_PATH=" + ctx["inputs.state-path"]}, extra...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("the key step fails: %v\n%s", err, b)
		}
		got := testenv.ParseGitHubFile(t, string(testenv.Must(os.ReadFile(out))))
		return got["key"], got["path"]
	}
	leg := map[string]string{"github.job": "red-team", "strategy.job-index": "0", "inputs.target-id": "42", "inputs.probe-ids": "1, 2, 3"}
	k0, p0 := keyOf(t, leg)
	if !regexp.MustCompile(`^splx-probe-state-555-\d+-$`).MatchString(k0) || !strings.HasPrefix(p0, "/runner/temp/splx-probe-state/") {
		t.Errorf("key %q, path %q", k0, p0)
	}
	if k, p := keyOf(t, leg); k != k0 || p != p0 {
		t.Error("the same step computes another key on another attempt")
	}
	for _, other := range []map[string]string{
		testenv.With(leg, "strategy.job-index", "1"), testenv.With(leg, "inputs.target-id", "43"), testenv.With(leg, "inputs.probe-ids", "1"),
		testenv.With(leg, "inputs.comment-key", "b"), testenv.With(leg, "inputs.name", "n"), testenv.With(leg, "github.job", "other"),
	} {
		if k, p := keyOf(t, other); k == k0 || p == p0 {
			t.Errorf("%v shares the record of %v", other, leg)
		}
	}
	if k, _ := keyOf(t, leg, "SPLX_TARGET_ID=43"); k == k0 {
		t.Error("a target given as SPLX_TARGET_ID does not separate the record")
	}
	if _, p := keyOf(t, testenv.With(leg, "inputs.state-path", "mine.json"), "SPLX_STATE_PATH=env.json"); p != "mine.json" {
		t.Errorf("path %q, want the state-path input first", p)
	}
	if _, p := keyOf(t, leg, "SPLX_STATE_PATH=env.json"); p != "env.json" {
		t.Errorf("path %q, want the workflow's SPLX_STATE_PATH over the default", p)
	}
}
