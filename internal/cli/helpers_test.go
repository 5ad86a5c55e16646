package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/golden"
	"github.com/splx-ai/splx-probe-action/internal/probe"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// testToken is the token every test uses. No test output may contain it
// except the ::add-mask:: line that hides it on GitHub.
const testToken = testenv.Token

// fixedNow is where the clock of every in-process run starts.
var fixedNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// result is what one invocation left behind.
type result struct {
	code    cli.ExitCode
	stdout  string
	stderr  string
	outputs map[string]string // $GITHUB_OUTPUT read back as the runner does
	summary string            // $GITHUB_STEP_SUMMARY
	sleeps  []time.Duration   // retry waits the client asked for
	dir     string
}

// githubEnv is the environment GitHub's runner gives a Docker action, with
// its file commands in dir.
func githubEnv(t *testing.T, dir string) map[string]string {
	t.Helper()
	out, sum := filepath.Join(dir, "github_output"), filepath.Join(dir, "step_summary")
	for _, p := range []string{out, sum} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": out, "GITHUB_STEP_SUMMARY": sum,
		"GITHUB_REPOSITORY": "acme/chatbot", "GITHUB_SHA": "0123456789abcdef", "GITHUB_RUN_NUMBER": "17",
		"GITHUB_WORKSPACE": dir,
	}
}

// invoke runs the tool in-process, as main does, with env as the whole
// environment, and checks that the token leaked nowhere.
func invoke(t *testing.T, ctx context.Context, env map[string]string, args ...string) result {
	t.Helper()
	return invokeWith(t, ctx, env, nil, args...)
}

// invokeWith is invoke with the command adjusted by set first (nil: none).
func invokeWith(t *testing.T, ctx context.Context, env map[string]string, set func(*cli.Command), args ...string) result {
	t.Helper()
	dir := t.TempDir()
	if env["GITHUB_OUTPUT"] != "" {
		dir = filepath.Dir(env["GITHUB_OUTPUT"])
	}
	if _, ok := env["SPLX_DOTENV_PATH"]; !ok {
		env["SPLX_DOTENV_PATH"] = filepath.Join(dir, "splx-probe.env")
	}
	var stdout, stderr bytes.Buffer
	var mu sync.Mutex
	var sleeps []time.Duration
	no := false
	c := &cli.Command{
		Version: "test", Stdout: &stdout, Stderr: &stderr, Environ: environ(env),
		Clock: &fakeClock{now: fixedNow}, TTY: &no, Dir: dir,
		// Record the waits the client asks for instead of sleeping them.
		ClientOptions: []probe.Option{probe.WithSleep(func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			sleeps = append(sleeps, d)
			mu.Unlock()
			return ctx.Err()
		})},
	}
	if set != nil {
		set(c)
	}
	code := c.Run(ctx, args)
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String(), dir: dir, sleeps: sleeps}
	if p := env["GITHUB_OUTPUT"]; p != "" {
		data, _ := os.ReadFile(p)
		r.outputs = testenv.ParseGitHubFile(t, string(data))
	}
	if p := env["GITHUB_STEP_SUMMARY"]; p != "" {
		data, _ := os.ReadFile(p)
		r.summary = string(data)
	}
	assertNoToken(t, r)
	return r
}

// fakeClock starts at fixedNow and moves only when the flow waits: a wait
// returns at once with the clock moved on by its duration, so a test of a
// 30-minute wait takes no real time.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.now = c.now.Add(d)
	now := c.now
	c.mu.Unlock()
	ch := make(chan time.Time, 1)
	ch <- now
	return ch
}

// assertNoToken fails when the token appears in anything a run printed or
// wrote, other than GitHub's ::add-mask:: line.
func assertNoToken(t *testing.T, r result) {
	t.Helper()
	for _, stream := range []struct{ name, text string }{{"stdout", r.stdout}, {"stderr", r.stderr}} {
		for _, l := range strings.Split(stream.text, "\n") {
			for _, tok := range []string{testToken, githubToken, gitlabToken} {
				if strings.Contains(l, tok) && l != "::add-mask::"+tok {
					t.Errorf("%s leaks a token: %q", stream.name, l)
				}
			}
		}
	}
	_ = filepath.WalkDir(r.dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		data, _ := os.ReadFile(p)
		if bytes.Contains(data, []byte(testToken)) || bytes.Contains(data, []byte(githubToken)) || bytes.Contains(data, []byte(gitlabToken)) {
			t.Errorf("file %s contains a token", p)
		}
		return nil
	})
}

// leftBehind is every text a run left: its stdout and stderr, and each
// file in its folder, by file name.
func leftBehind(r result) map[string]string {
	texts := map[string]string{"stdout": r.stdout, "stderr": r.stderr}
	_ = filepath.WalkDir(r.dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			texts[filepath.Base(p)] = string(data)
		}
		return nil
	})
	return texts
}

// assertRequestsClean checks that the token went only in X-Api-Key.
func assertRequestsClean(t *testing.T, api *fakeapi.Server) {
	t.Helper()
	for _, req := range api.Requests() {
		if strings.Contains(req.Path, testToken) || strings.Contains(req.Body, testToken) {
			t.Errorf("request %s %s carries the token outside X-Api-Key", req.Method, req.Path)
		}
		for k, vs := range req.Header {
			for _, v := range vs {
				if k != "X-Api-Key" && strings.Contains(v, testToken) {
					t.Errorf("header %s carries the token", k)
				}
			}
		}
	}
}

var (
	hostPort   = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	tempDirs   = regexp.MustCompile(`(/[^\s/]+)*/Test[^\s/]*/\d{3}`)
	delimiters = regexp.MustCompile(`ghadelimiter_[0-9a-f]+|stop-commands::[0-9a-f]+|::[0-9a-f]{32}::`)
)

// normalise removes what changes from run to run: the fake's port and
// random delimiters.
func normalise(s string) string {
	s = hostPort.ReplaceAllString(s, "127.0.0.1:PORT")
	s = tempDirs.ReplaceAllString(s, "$$TMP")
	return delimiters.ReplaceAllStringFunc(s, func(m string) string {
		switch {
		case strings.HasPrefix(m, "ghadelimiter_"):
			return "ghadelimiter_RANDOM"
		case strings.HasPrefix(m, "stop-commands::"):
			return "stop-commands::RANDOM"
		}
		return "::RANDOM::"
	})
}

// checkGolden compares got, normalised, with testdata/name.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", name), normalise(got))
}

// baseEnv is the minimum to trigger against api.
func baseEnv(api *fakeapi.Server) map[string]string {
	return map[string]string{
		"SPLX_API_KEY": testToken, "SPLX_API_URL": api.URL,
		"SPLX_TARGET_ID": "42", "SPLX_PROBE_IDS": "1,2,3",
	}
}

// check fails the test for each of want the log lacks and each of notWant
// it has.
func check(t *testing.T, log string, want, notWant []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(log, w) {
			t.Errorf("output lacks %q:\n%s", w, log)
		}
	}
	for _, w := range notWant {
		if strings.Contains(log, w) {
			t.Errorf("output has %q:\n%s", w, log)
		}
	}
}
