// Package e2e holds the tests that need more than the Go toolchain: the
// built binary as a child process, Docker, act, or the CI platforms' own
// tools. Each runs from the repository's root, as the tools do.
package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/probetest"
)

// TestMain runs the tests from the repository's root: they build the
// binary, read action.yml, the README and the workflows, and copy the tree.
func TestMain(m *testing.M) {
	if err := os.Chdir(".."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// testToken is the token every test uses; no output may contain it.
const testToken = "tok-SECRET-7f3a9c"

// newAPI starts a fake Probe API that accepts testToken.
func newAPI(t *testing.T, opts ...probetest.Option) *probetest.Server {
	t.Helper()
	api := probetest.NewServer(append([]probetest.Option{probetest.WithToken(testToken)}, opts...)...)
	t.Cleanup(api.Close)
	return api
}

// eventually polls cond until it holds, failing the test after a deadline
// instead of hanging (a child process runs on real time).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// assertCancel checks the cancel requests the run got: the documented GET
// on /api/v2/test-run/1001/cancel, with the token, want times.
func assertCancel(t *testing.T, api *probetest.Server, want int) {
	t.Helper()
	n := 0
	for _, r := range api.Requests() {
		if !strings.HasSuffix(r.Path, "/cancel") {
			continue
		}
		n++
		if r.Method != "GET" || r.Path != "/api/v2/test-run/1001/cancel" || r.Header.Get("X-Api-Key") != testToken {
			t.Errorf("cancel request %s %s (token sent: %v), want GET /api/v2/test-run/1001/cancel", r.Method, r.Path, r.Header.Get("X-Api-Key") == testToken)
		}
	}
	if n != want {
		t.Errorf("%d cancel requests, want %d", n, want)
	}
}

// must returns v, failing on err (the test's own setup).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
