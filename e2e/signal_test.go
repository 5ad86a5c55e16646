package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/probetest"
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
			api := newAPI(t, probetest.WithSteps(10000))
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
			eventually(t, "two status polls", func() bool { return api.Count(probetest.OpStatus) >= 2 })
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
			assertCancel(t, api, tt.wantCancel)
			if strings.Contains(out.String(), testToken) {
				t.Error("output contains the token")
			}
		})
	}
}
