package ci

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/redact"
)

// TestReporters drives every platform's reporter through one run's calls
// and checks what its users read: the log, and the files the platform
// reads back. Hostile text never starts a workflow command.
func TestReporters(t *testing.T) {
	t.Parallel()
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			files := map[string]string{}
			for _, v := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "BASH_ENV"} {
				files[v] = filepath.Join(dir, v)
			}
			if err := os.WriteFile(files["GITHUB_OUTPUT"], []byte("earlier=1"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(files["GITHUB_STEP_SUMMARY"], nil, 0o644); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"GITHUB_ACTIONS": "true", "RUNNER_DEBUG": "1"}
			for k, v := range files {
				env[k] = v
			}
			dotenv := filepath.Join(dir, "splx.env")
			var out, errOut, raw bytes.Buffer
			red := redact.New("tok-SECRET-7f3a9c")
			r := New(Platform(name), Options{
				Env: env, Stdout: red.Writer(&out), Stderr: red.Writer(&errOut), Unredacted: &raw, Redact: red,
				Debug: true, Setting: settings("dotenv-path", dotenv), Now: func() time.Time { return time.Unix(1700000000, 0) },
				Random: func(int) string { return "r4nd" },
			})
			r.Begin([]string{"tok-SECRET-7f3a9c", ""})
			r.Info("hello\n::error::forged")
			r.Debug("debug line")
			r.Group("Waiting")
			r.Progress(Progress{Status: "RUNNING", Percent: 50, Probes: []string{"a 1/2"}})
			r.Progress(Progress{Status: "RUNNING", Percent: 50, Probes: []string{"a 1/2"}})
			r.Progress(Progress{Status: "FINISHED", Percent: 100})
			r.EndGroup()
			r.Notice("Passed", "all good")
			r.Warning("Careful", "tok-SECRET-7f3a9c")
			r.Error("Failed", "bad")
			var errs, warns []Note
			for i := range 12 {
				errs = append(errs, Note{Title: fmt.Sprintf("over %d", i), Msg: "m"})
				warns = append(warns, Note{Title: fmt.Sprintf("finding %d", i), Msg: "m"})
			}
			r.Annotate(Note{Title: "SPLX Probe gate failed", Msg: "test run 1"}, errs, warns)
			r.Outputs([]Output{{Name: "status", Value: "FINISHED"}, {Name: "test-run-url", Value: "https://x/y?a=1 b"}})
			r.Summary("## Summary\n")

			log := out.String() + errOut.String()
			if strings.Contains(log, "tok-SECRET-7f3a9c") {
				t.Errorf("the log holds the token:\n%s", log)
			}
			for _, l := range strings.Split(log, "\n") {
				if strings.HasPrefix(l, "::error::forged") {
					t.Errorf("hostile text became a workflow command: %q", l)
				}
			}
			if !strings.Contains(log, "more probes over threshold") || !strings.Contains(log, "more probes with findings") {
				t.Errorf("annotations beyond the budget are not counted:\n%s", log)
			}
			read := func(p string) string { b, _ := os.ReadFile(p); return string(b) }
			switch Platform(name) {
			case GitHub:
				if !strings.Contains(raw.String(), "::add-mask::tok-SECRET-7f3a9c") {
					t.Errorf("the token is not masked: %q", raw.String())
				}
				if got := read(files["GITHUB_OUTPUT"]); !strings.HasPrefix(got, "earlier=1\nstatus<<ghadelimiter_r4nd\nFINISHED\n") {
					t.Errorf("GITHUB_OUTPUT %q", got)
				}
				if got := read(files["GITHUB_STEP_SUMMARY"]); got != "## Summary\n" {
					t.Errorf("summary %q", got)
				}
				for _, want := range []string{"::group::Waiting", "::debug::debug line", "::notice title=Passed::all good", "::error title=Failed::bad"} {
					if !strings.Contains(log, want) {
						t.Errorf("log lacks %q:\n%s", want, log)
					}
				}
			case GitLab:
				if got := read(dotenv); !strings.Contains(got, "SPLX_STATUS=FINISHED\n") || strings.Contains(got, "TEST_RUN_URL") {
					t.Errorf("dotenv %q (a value with a space is left out)", got)
				}
				if !strings.Contains(log, "section_start:1700000000") {
					t.Errorf("no collapsible section:\n%s", log)
				}
			case CircleCI:
				if got := read(files["BASH_ENV"]); !strings.Contains(got, "export SPLX_STATUS='FINISHED'\n") {
					t.Errorf("BASH_ENV %q", got)
				}
			case Plain:
				if !strings.Contains(log, "Outputs:\n  status: FINISHED\n") {
					t.Errorf("outputs not printed:\n%s", log)
				}
			}
		})
	}
}

// TestMissingFiles: where the platform gives nowhere to write, the values
// are printed instead, with one warning.
func TestMissingFiles(t *testing.T) {
	t.Parallel()
	for _, p := range []Platform{GitHub, GitLab} {
		var out bytes.Buffer
		r := New(p, Options{Env: map[string]string{"GITHUB_ACTIONS": "true"}, Stdout: &out, Stderr: &out, Setting: settings("dotenv-path", filepath.Join(t.TempDir(), "no", "such", "dir", "x.env"))})
		r.Outputs([]Output{{Name: "status", Value: "FINISHED"}})
		r.Summary("## s\n")
		if !strings.Contains(out.String(), "FINISHED") || !strings.Contains(out.String(), "warning") {
			t.Errorf("%s: %q", p, out.String())
		}
	}
}

// TestRegistry: every platform has a label, a reporter and its files; a
// name nobody knows is the terminal.
func TestRegistry(t *testing.T) {
	t.Parallel()
	o := Options{Env: map[string]string{"GITHUB_OUTPUT": "/o", "BASH_ENV": "/b"}, Setting: settings("dotenv-path", "/d")}
	want := map[Platform]string{GitHub: "GITHUB_OUTPUT", GitLab: "dotenv-path", CircleCI: "BASH_ENV", Plain: ""}
	for p, first := range want {
		files := p.OutputFiles(o)
		if (first == "") != (len(files) == 0) || first != "" && files[0].Name != first {
			t.Errorf("%s writes %v", p, files)
		}
		for _, f := range files {
			if f.Fix == "" {
				t.Errorf("%s's %s says nothing about what to do when it cannot be written (doctor shows it)", p, f.Name)
			}
		}
	}
	if (Context{Platform: "nope"}).Label() != "terminal" || (Context{Platform: GitHub, Act: true}).Label() != "act" {
		t.Error("labels")
	}
	if got := strings.Join(AllFileSettings(), ","); got != "dotenv-path" {
		t.Errorf("file settings %q", got)
	}
	if got := strings.Join(RunnerFiles(), ","); !strings.Contains(got, "GITHUB_OUTPUT") || !strings.Contains(got, "BASH_ENV") {
		t.Errorf("runner files %q", got)
	}
	if GitLab.FileSettings()[0] != "dotenv-path" || len(GitHub.FileSettings()) != 0 {
		t.Error("FileSettings")
	}
}

// TestReporterSettings: a platform's reporter reads the settings it
// declares, and nothing else (a setting it did not declare reads "").
func TestReporterSettings(t *testing.T) {
	t.Parallel()
	all := func(name string) string { return "value of " + name }
	for _, pl := range platforms() {
		o := pl.options(Options{Setting: all})
		for _, s := range pl.settings {
			if got := o.Setting(s); got != all(s) {
				t.Errorf("%s reads %s as %q", pl.name, s, got)
			}
		}
		if got := o.Setting("junit-path"); got != "" {
			t.Errorf("%s reads an undeclared setting: %q", pl.name, got)
		}
		if got := pl.options(Options{}).Setting(dotenvSetting); got != "" {
			t.Errorf("%s without settings reads %q", pl.name, got)
		}
	}
	if files := GitLab.OutputFiles(Options{Setting: all}); files[0].Path != "value of dotenv-path" {
		t.Errorf("GitLab writes %v", files)
	}
}

// settings reads the settings given as name, value pairs, as config's
// Value does.
func settings(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(name string) string { return m[name] }
}
