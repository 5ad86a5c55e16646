package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/deliver"
	"github.com/splx-ai/splx-probe-action/internal/exitcode"
)

// TestREADMEExamples keeps the README true: every input, variable, output
// and exit code its examples and tables use exists, and every setting and
// exit code is documented.
func TestREADMEExamples(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)

	inputs := map[string]bool{}
	envs := map[string]bool{}
	for _, s := range config.Settings() {
		if !s.EnvOnly {
			inputs[s.Name] = true
		}
		envs[s.EnvName()] = true
		if !strings.Contains(readme, "| `"+s.Name+"` |") {
			t.Errorf("setting %s is not in the README's table", s.Name)
		}
	}
	// The composite action's own variables (action/install.sh reads them).
	for _, name := range []string{"SPLX_DOWNLOAD_URL", "SPLX_BUILD_FROM_SOURCE", "SPLX_DOWNLOAD_TIMEOUT", "SPLX_DOWNLOAD_ATTEMPTS", "SPLX_DOWNLOAD_MAX_BYTES"} {
		envs[name] = true
	}
	for _, name := range actionOnlyInputs {
		inputs[name] = true
	}
	outputs := map[string]bool{}
	for _, o := range deliver.Outputs() {
		outputs[o.Name] = true
		envs[ci.Output{Name: o.Name}.EnvName()] = true
	}

	// GitHub examples: the keys under with: of our action are inputs, and
	// steps.splx.outputs.X are outputs.
	lines := strings.Split(readme, "\n")
	for i, l := range lines {
		if trimmed := strings.TrimLeft(l, " -"); !strings.HasPrefix(trimmed, "uses: splx-ai/splx-probe-action@") && !strings.HasPrefix(trimmed, "uses: splx-ai/splx-probe-action/docker@") {
			continue
		}
		// The step's with: comes within its next few lines.
		indent, start := -1, 0
		for j := i + 1; j < len(lines) && j <= i+4; j++ {
			if trimmed := strings.TrimLeft(lines[j], " "); trimmed == "with:" {
				indent, start = len(lines[j])-len(trimmed), j+1
				break
			}
		}
		if indent < 0 {
			t.Errorf("README line %d: no with: after the uses: line", i+1)
			continue
		}
		for _, w := range lines[start:] {
			trimmed := strings.TrimLeft(w, " ")
			if trimmed == "" || len(w)-len(trimmed) <= indent {
				break
			}
			if key, _, ok := strings.Cut(trimmed, ":"); ok && len(w)-len(trimmed) == indent+2 && !inputs[key] {
				t.Errorf("README example uses input %q, which action.yml does not declare", key)
			}
		}
	}
	for _, m := range regexp.MustCompile(`steps\.splx\.outputs\.([a-z-]+)`).FindAllStringSubmatch(readme, -1) {
		if !outputs[m[1]] {
			t.Errorf("README uses output %q, which the tool does not write", m[1])
		}
	}
	for _, m := range regexp.MustCompile(`\bSPLX_[A-Z_]+\b`).FindAllString(readme, -1) {
		if !envs[m] {
			t.Errorf("README names %s, which is neither a setting nor an output", m)
		}
	}
	resultRow := regexp.MustCompile("(?m)^\\| `result` \\|.*$").FindString(readme)
	for _, i := range exitcode.Table() {
		if !strings.Contains(readme, fmt.Sprintf("\n| %d |", i.Code)) {
			t.Errorf("exit code %d is not in the README's table", i.Code)
		}
		if !strings.Contains(resultRow, "`"+i.Result+"`") {
			t.Errorf("the result word %q of exit code %d is not in the README's row of the result output", i.Result, i.Code)
		}
	}
	section := readme[strings.Index(readme, "\n## Outputs\n"):strings.Index(readme, "\n## Exit codes\n")]
	rows := strings.Join(regexp.MustCompile(`(?m)^\| .*$`).FindAllString(section, -1), "\n")
	for _, o := range deliver.Outputs() {
		if !strings.Contains(rows, "`"+o.Name+"`") {
			t.Errorf("output %s is not in the README's table of outputs", o.Name)
		}
	}
}
