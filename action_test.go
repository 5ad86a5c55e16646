package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/splx-ai/splx-probe-action/internal/config"
)

// TestActionYAML keeps action.yml's inputs in step with the settings: every
// setting a GitHub user may give is an input with its help text, and no
// input has a default (which would beat a SPLX_* variable set by the
// workflow).
func TestActionYAML(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("action.yml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	inputs := text[strings.Index(text, "\ninputs:\n"):strings.Index(text, "\noutputs:\n")]
	var got []string
	for _, m := range regexp.MustCompile(`(?m)^  ([a-z-]+):$`).FindAllStringSubmatch(inputs, -1) {
		got = append(got, m[1])
	}
	var want []string
	for _, s := range config.Settings {
		if s.EnvOnly {
			continue
		}
		want = append(want, s.Name)
		if !strings.Contains(inputs, s.Help) {
			t.Errorf("input %s: description does not carry the help text %q", s.Name, s.Help)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("action.yml inputs (-settings +action.yml):\n%s", diff)
	}
	if regexp.MustCompile(`(?m)^\s+default:`).MatchString(inputs) {
		t.Error("an input has a default; defaults belong to the binary")
	}
	for _, name := range []string{"args", "entrypoint"} {
		if strings.Contains(inputs, "\n  "+name+":") {
			t.Errorf("input %q: act lets it override the container's arguments", name)
		}
	}
	for _, out := range []string{"test-run-id", "test-run-url", "status", "result", "total", "passed", "failed", "errors", "junit-path", "results-path", "report-path"} {
		if !strings.Contains(text[strings.Index(text, "\noutputs:\n"):], "\n  "+out+":\n") {
			t.Errorf("output %s is not declared", out)
		}
	}
	if !strings.Contains(text, "using: docker") || !strings.Contains(text, "image: Dockerfile") {
		t.Error("action.yml does not run the Dockerfile")
	}
}
