package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// TestPlatforms: what each platform's users see for the same gating run,
// and where its outputs go.
func TestPlatforms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  func(dir string) map[string]string
		// files are read back after the run and compared with golden files.
		files map[string]string
	}{
		{
			name: "gitlab",
			env: func(dir string) map[string]string {
				return map[string]string{"GITLAB_CI": "true", "CI_PROJECT_PATH": "acme/bot", "CI_COMMIT_SHORT_SHA": "abc1234", "CI_PIPELINE_IID": "9",
					"SPLX_DOTENV_PATH": filepath.Join(dir, "splx-probe.env")}
			},
			files: map[string]string{"splx-probe.env": "gitlab/wait.dotenv"},
		},
		{
			name: "circleci",
			env: func(dir string) map[string]string {
				return map[string]string{"CIRCLECI": "true", "CIRCLE_PROJECT_USERNAME": "acme", "CIRCLE_PROJECT_REPONAME": "bot",
					"CIRCLE_SHA1": "fedcba9876543210", "CIRCLE_BUILD_NUM": "77", "BASH_ENV": filepath.Join(dir, "bash_env")}
			},
			files: map[string]string{"bash_env": "circleci/wait.bash_env"},
		},
		{
			// act's self-hosted mode hands the container host paths it
			// cannot see: the tool warns and prints the values instead.
			name: "act without file commands",
			env: func(dir string) map[string]string {
				return map[string]string{"GITHUB_ACTIONS": "true", "ACT": "true", "GITHUB_REPOSITORY": "nektos/act", "GITHUB_SHA": "1111111aaaa", "GITHUB_RUN_NUMBER": "1",
					"GITHUB_OUTPUT": "/nonexistent/act/outputcmd.txt", "GITHUB_STEP_SUMMARY": "/nonexistent/act/SUMMARY.md"}
			},
		},
		{
			name: "github without GITHUB_OUTPUT",
			env: func(dir string) map[string]string {
				return map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/bot"}
			},
		},
		{
			name: "terminal",
			env:  func(dir string) map[string]string { return map[string]string{"TERM": "xterm"} },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, fakeapi.WithSteps(1))
			dir := t.TempDir()
			env := testenv.With(baseEnv(api), "SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_MAX_FAILED", "3", "SPLX_WORKSPACE_ID", "163")
			for k, v := range tt.env(dir) {
				env[k] = v
			}
			r := invoke(t, context.Background(), env)
			if r.code != cli.ExitOK {
				t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			slug := strings.ReplaceAll(tt.name, " ", "-")
			checkGolden(t, "platforms/"+slug+".stdout", r.stdout)
			checkGolden(t, "platforms/"+slug+".stderr", r.stderr)
			for file, g := range tt.files {
				data, err := os.ReadFile(filepath.Join(dir, file))
				if err != nil {
					t.Fatal(err)
				}
				checkGolden(t, g, string(data))
			}
		})
	}
}

// TestTerminal: a live progress bar and colour on a terminal, and no colour
// with NO_COLOR.
func TestTerminal(t *testing.T) {
	t.Parallel()
	for _, noColor := range []bool{false, true} {
		api := testenv.NewAPI(t, fakeapi.WithSteps(1))
		env := testenv.With(baseEnv(api), "SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_PROBE_IDS", "1")
		if noColor {
			env["NO_COLOR"] = "1"
		}
		var out, errOut strings.Builder
		yes := true
		c := &cli.Command{Version: "test", Stdout: &out, Stderr: &errOut, Environ: environ(env), TTY: &yes, Clock: &fakeClock{now: fixedNow}}
		if code := c.Run(context.Background(), nil); code != cli.ExitGateFailed {
			t.Fatalf("exit %d", code)
		}
		if !strings.Contains(out.String(), "\r\x1b[K") {
			t.Errorf("no live progress bar on a terminal:\n%q", out.String())
		}
		hasColor := strings.Contains(out.String()+errOut.String(), "\x1b[1;31m")
		if hasColor == noColor {
			t.Errorf("NO_COLOR=%v but colour=%v", noColor, hasColor)
		}
	}
}

// environ turns an environment map into KEY=value strings, sorted so that
// runs are repeatable.
func environ(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// TestHelpVersionPrintConfig: the tool describes itself, and --print-config
// shows every effective setting with its source, the token redacted.
func TestHelpVersionPrintConfig(t *testing.T) {
	t.Parallel()
	r := invoke(t, context.Background(), map[string]string{}, "--help")
	if r.code != 0 {
		t.Errorf("--help: exit %d", r.code)
	}
	checkGolden(t, "plain/help.stdout", r.stdout)

	r = invoke(t, context.Background(), map[string]string{}, "--version")
	if r.code != 0 || r.stdout != "splx-probe-action test\n" {
		t.Errorf("--version: exit %d, %q", r.code, r.stdout)
	}

	env := map[string]string{
		"GITHUB_ACTIONS": "true", "INPUT_API-KEY": testToken, "INPUT_TARGET-ID": "42", "INPUT_PROBE-IDS": "",
		"SPLX_PROBE_IDS": "1,2", "INPUT_REGION": "", "SPLX_REGION": "us", "SPLX_DOTENV_PATH": "splx-probe.env",
	}
	r = invoke(t, context.Background(), env, "--print-config", "--wait", "--timeout", "1h")
	if r.code != 0 {
		t.Errorf("--print-config: exit %d\n%s", r.code, r.stderr)
	}
	checkGolden(t, "github/print-config.stdout", r.stdout)
	if !regexp.MustCompile(`(?m)^api-key +\*\*\* \(set, redacted\) +INPUT_API-KEY$`).MatchString(r.stdout) {
		t.Errorf("token line not redacted with its source:\n%s", r.stdout)
	}
}

// TestDemo runs the README's first command in-process: the whole flow
// against the built-in fake API, with no account.
func TestDemo(t *testing.T) {
	t.Parallel()
	r := invoke(t, context.Background(), map[string]string{"SPLX_API_KEY": testToken, "SPLX_TARGET_ID": "999"}, "demo")
	if r.code != cli.ExitOK {
		t.Fatalf("demo: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkGolden(t, "plain/demo.stdout", r.stdout)
	checkGolden(t, "plain/demo.stderr", r.stderr)
	if diff := cmp.Diff("", strings.TrimSpace(strings.Join(grep(r.stdout, "target 999"), "\n"))); diff != "" {
		t.Errorf("the demo used the caller's settings: %s", diff)
	}
}

func grep(s, sub string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}

// TestForcedGitHubWithoutRunner: forcing the GitHub reporter where no
// runner reads the log must not print the token in a mask command.
func TestForcedGitHubWithoutRunner(t *testing.T) {
	t.Parallel()
	api := testenv.NewAPI(t)
	r := invoke(t, context.Background(), baseEnv(api), "--platform", "github")
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d", r.code)
	}
	if strings.Contains(r.stdout, "::add-mask::") || !strings.Contains(r.stdout, "::notice title=") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
}

// TestDebugLog: --debug logs each request, never its headers.
func TestDebugLog(t *testing.T) {
	t.Parallel()
	api := testenv.NewAPI(t)
	r := invoke(t, context.Background(), testenv.With(baseEnv(api), "SPLX_DEBUG", "true"))
	if r.code != cli.ExitOK || !strings.Contains(r.stderr, "debug: POST /api/v2/test-run/trigger: HTTP 200") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}
