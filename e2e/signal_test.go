package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the real binary once per test process.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "splx-probe-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "splx-probe")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("build the binary: %v", buildErr)
	}
	return binPath
}

// TestSignalCancelsRun sends the runner's cancellation signals to a real
// child process and checks that the remote run is cancelled before it exits.
func TestSignalCancelsRun(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	tests := []struct {
		name       string
		sig        syscall.Signal
		cancel     string
		wantCancel int
	}{
		{"SIGTERM", syscall.SIGTERM, "", 1},
		{"SIGINT", syscall.SIGINT, "", 1},
		{"SIGTERM without cancel-on-abort", syscall.SIGTERM, "false", 0},
		{"SIGHUP", syscall.SIGHUP, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, fakeapi.WithSteps(10000))
			cmd := exec.Command(bin)
			cmd.Env = []string{
				"SPLX_API_KEY=" + testToken, "SPLX_API_URL=" + api.URL, "SPLX_TARGET_ID=42", "SPLX_PROBE_IDS=1",
				"SPLX_WAIT=true", "SPLX_POLL_INTERVAL=1s", "SPLX_CANCEL_ON_ABORT=" + tt.cancel,
			}
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			testenv.Eventually(t, "two status polls", func() bool { return api.Count(fakeapi.OpStatus) >= 2 })
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || cli.ExitCode(exit.ExitCode()) != cli.ExitInterrupted {
				t.Errorf("exit: %v, want code %d\n%s", err, cli.ExitInterrupted, out.String())
			}
			if tt.wantCancel == 1 && api.RunStatus(1001) != "CANCELED" {
				t.Errorf("run status %q, want CANCELED", api.RunStatus(1001))
			}
			testenv.AssertCancel(t, api, tt.wantCancel)
			if strings.Contains(out.String(), testToken) {
				t.Error("output contains the token")
			}
		})
	}
}

// TestSignalWhileTriggering: the job is cancelled while the trigger is in
// flight. The tool waits for the answer within the runner's grace, then
// cancels the run it names.
func TestSignalWhileTriggering(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t)
			// The server creates run 1001 at once but answers 1.5 s later.
			api.Fail(fakeapi.Fault{Op: fakeapi.OpTrigger, Act: true, Delay: 1500 * time.Millisecond, Body: `{"testRunId":1001}`})
			cmd := exec.Command(bin)
			cmd.Env = []string{"SPLX_API_KEY=" + testToken, "SPLX_API_URL=" + api.URL, "SPLX_TARGET_ID=42", "SPLX_PROBE_IDS=1", "SPLX_WAIT=true", "SPLX_POLL_INTERVAL=1s"}
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			testenv.Eventually(t, "the trigger request", func() bool { return api.Count(fakeapi.OpTrigger) == 1 })
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || cli.ExitCode(exit.ExitCode()) != cli.ExitInterrupted {
				t.Errorf("exit: %v, want %d\n%s", err, cli.ExitInterrupted, out.String())
			}
			if api.RunStatus(1001) != "CANCELED" {
				t.Errorf("run 1001 is %s, want CANCELED\n%s", api.RunStatus(1001), out.String())
			}
			testenv.AssertCancel(t, api, 1)
			if api.Count(fakeapi.OpStatus) != 0 {
				t.Errorf("the tool went on to wait after the signal")
			}
		})
	}
}

// TestBrokenStdout: with stdout piped into something that exits early,
// the tool still writes its reports and exits with the verdict.
func TestBrokenStdout(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	api := testenv.NewAPI(t, fakeapi.WithSteps(0))
	dir := t.TempDir()
	junit, results := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "results.json")
	cmd := exec.Command(bin)
	cmd.Env = []string{"SPLX_API_KEY=" + testToken, "SPLX_API_URL=" + api.URL, "SPLX_TARGET_ID=42", "SPLX_PROBE_IDS=1,4",
		"SPLX_WAIT=true", "SPLX_POLL_INTERVAL=1s", "SPLX_JUNIT_PATH=" + junit, "SPLX_RESULTS_PATH=" + results}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Read one line, like | head -1, then close the pipe.
	buf := make([]byte, 1)
	for buf[0] != '\n' {
		if _, err := stdout.Read(buf); err != nil {
			t.Fatal(err)
		}
	}
	stdout.Close()
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || cli.ExitCode(exit.ExitCode()) != cli.ExitGateFailed {
		t.Errorf("exit: %v, want %d (the verdict), not death by SIGPIPE", err, cli.ExitGateFailed)
	}
	for _, p := range []string{junit, results} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("report not written: %v", err)
		}
	}
}
