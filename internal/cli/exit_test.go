package cli

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/deliver"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/probe"
)

// TestExitCodes: the one table, with its precedence when a run fails in
// more than one way.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	write := &deliver.WriteError{What: "JUnit report", Path: "j.xml", Err: os.ErrPermission}
	failed := &VerdictError{Verdict: gate.Failed, Msg: "test run 1: findings"}
	tests := []struct {
		name  string
		err   error
		code  ExitCode
		title string
	}{
		{"no error", nil, ExitOK, ""},
		{"input", config.Errors{{Name: "target-id", Reason: "is required"}}, ExitInvalidInput, "Invalid input"},
		{"usage", usageError("2 unexpected argument(s)"), ExitInvalidInput, "Invalid input"},
		{"401", &probe.ErrorResponse{Op: "trigger test run", StatusCode: 401}, ExitAuth, "SPLX Probe authentication failed"},
		{"403", &probe.ErrorResponse{Op: "trigger test run", StatusCode: 403}, ExitAuth, "SPLX Probe permission denied"},
		{"400", &probe.ErrorResponse{Op: "trigger test run", StatusCode: 400}, ExitInvalidInput, "SPLX Probe rejected the request"},
		{"404", &probe.ErrorResponse{Op: "read test run status", StatusCode: 404}, ExitAPI, "SPLX Probe API failure"},
		{"ambiguous trigger", &probe.AmbiguousTriggerError{Err: errors.New("timeout")}, ExitAPI, "Trigger outcome unknown"},
		{"redirect", fmt.Errorf("trigger test run: %w", probe.ErrRedirectRefused), ExitAPI, "SPLX Probe API failure"},
		{"answer too large", fmt.Errorf("read test run status: %w", &probe.TooLargeError{Limit: probe.MaxJSONBody}), ExitAPI, "SPLX Probe answer too large"},
		{"gate failed", failed, ExitGateFailed, "SPLX Probe gate failed"},
		{"no verdict", &VerdictError{Verdict: gate.NoVerdict}, ExitNoVerdict, "SPLX Probe: no verdict"},
		{"timed out", &VerdictError{Verdict: gate.TimedOut}, ExitTimeout, "SPLX Probe wait timed out"},
		{"report not written", write, ExitAPI, "JUnit report"},
		{"a verdict beats a report not written", errors.Join(write, failed), ExitGateFailed, ""},
		{"a timeout beats a report not written", errors.Join(write, &VerdictError{Verdict: gate.TimedOut}), ExitTimeout, ""},
		{"interrupted beats everything", errors.Join(failed, &InterruptedError{Msg: "cancelled"}), ExitInterrupted, ""},
		{"anything else", errors.New("dial tcp: refused"), ExitAPI, "SPLX Probe API failure"},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.code {
			t.Errorf("%s: exit %d, want %d", tt.name, got, tt.code)
		}
		if tt.title != "" {
			if title, _ := annotation(tt.err, &config.Config{}); title != tt.title {
				t.Errorf("%s: title %q, want %q", tt.name, title, tt.title)
			}
		}
	}
	if got := exitCode(errors.Join(write, failed)).Result(); got != "failed" {
		t.Errorf("result %q", got)
	}
}

// TestVersion: an unstamped build reports its module version, else its VCS
// revision, else dev.
func TestVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		info debug.BuildInfo
		want string
	}{
		{debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}}}, "dev-0123456789ab"},
		{debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}}, "dev-abc-dirty"},
		{debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
	}
	for _, tt := range tests {
		if got := versionOf(&tt.info); got != tt.want {
			t.Errorf("versionOf(%+v) = %q, want %q", tt.info.Main, got, tt.want)
		}
	}
	if got := (&Command{Version: "1.0.0"}).version(); got != "1.0.0" {
		t.Errorf("a stamped version is not used: %q", got)
	}
}

// TestTooLargeAdvice: an answer over the size limit names the limit and
// says that retrying will not help, not to try again later.
func TestTooLargeAdvice(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("read test run status: %w", &probe.TooLargeError{Limit: probe.MaxJSONBody})
	_, msg := annotation(err, &config.Config{})
	if !strings.Contains(msg, "exceeds the size limit (4 MiB)") || !strings.Contains(msg, "retrying will not help") || strings.Contains(msg, "try again later") {
		t.Errorf("advice: %s", msg)
	}
}
