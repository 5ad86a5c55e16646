// Command splx-probe triggers an SPLX Probe red-team test run from CI, waits
// for it when asked, gates the job on the findings and reports them on
// GitHub Actions, GitLab CI, CircleCI, act or a terminal.
package main

import (
	"context"
	"math"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/splx-ai/splx-probe-action/internal/cli"
)

// version is stamped at build time with -ldflags "-X main.version=...";
// unstamped builds report their module version or VCS revision.
var version string

// memoryLimit is the soft limit the GC keeps the heap under, unless
// GOMEMLIMIT says otherwise: the step shares the runner with the job. A run
// whose results need more goes over it, and the runtime then caps the GC's
// share of the CPU (BENCHMARKS.md has what it costs).
const memoryLimit = 9 << 20

func main() {
	if debug.SetMemoryLimit(-1) == math.MaxInt64 {
		debug.SetMemoryLimit(memoryLimit)
	}
	// The binary is PID 1 in its container: without its own handler SIGTERM
	// would not stop it. The context is cancelled on the first signal
	// (SIGHUP too: a closed terminal, some CI agents), and the flow cancels
	// the remote run before exiting. A broken stdout (| head) must not kill
	// the tool before its reports and verdict: writes then just fail.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	c := &cli.Command{Version: version, Stdout: os.Stdout, Stderr: os.Stderr, Environ: os.Environ()}
	code := c.Run(ctx, os.Args[1:])
	stop()
	os.Exit(int(code))
}
