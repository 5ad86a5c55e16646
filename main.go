// Command splx-probe triggers an SPLX Probe red-team test run from CI, waits
// for it when asked, gates the job on the findings and reports them on
// GitHub Actions, GitLab CI, CircleCI, act or a terminal.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/splx-ai/splx-probe-action/internal/cli"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	// The binary is PID 1 in its container: without its own handler SIGTERM
	// would not stop it. The context is cancelled on the first signal
	// (SIGHUP too: a closed terminal, some CI agents), and the flow cancels
	// the remote run before exiting. A broken stdout (| head) must not kill
	// the tool before its reports and verdict: writes then just fail.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args, env []string, stdout, stderr io.Writer) int {
	c := &cli.Command{Version: version, Stdout: stdout, Stderr: stderr, Environ: env}
	return c.Run(ctx, args)
}
