// Package cli runs the tool: it reads the settings, triggers or attaches to
// a test run, waits for it when asked, gates the job on the findings and
// reports them to the CI platform. main only wires it to the process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/probe"
	"github.com/splx-ai/splx-probe-action/internal/redact"
)

// Exit codes. They are part of the tool's contract: documented in the
// README and stable.
const (
	ExitOK           = 0
	ExitGateFailed   = 1
	ExitInvalidInput = 2
	ExitAuth         = 3
	ExitNoVerdict    = 4
	ExitTimeout      = 5
	ExitAPI          = 6
	// ExitInterrupted follows the shell's convention for SIGINT (128+2).
	ExitInterrupted = 130
)

// Command is one invocation of the tool with its process wired in, so that
// tests run it in-process exactly as main does.
type Command struct {
	// Version is stamped at build time.
	Version string
	Stdout  io.Writer
	Stderr  io.Writer
	// Environ is the process environment as KEY=value strings.
	Environ []string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// TTY forces terminal behaviour; when nil it is detected from Stdout.
	TTY *bool
	// ClientOptions are added to the API client's (tests shorten backoff).
	ClientOptions []probe.Option
}

// Run runs the tool with the command-line arguments (without the program
// name) and returns the exit code.
func (c *Command) Run(ctx context.Context, args []string) int {
	if c.Now == nil {
		c.Now = time.Now
	}
	env := config.Env(c.Environ)
	flags, flagErr := config.ParseFlags(args)
	if flags == nil {
		flags = &config.Flags{Values: map[string]string{}}
	}

	if flags.Demo && flagErr == nil {
		var api io.Closer
		env, api = demoEnv(env, flags.Values)
		defer api.Close()
	}

	cfg, cfgErr := config.Load(ctx, flags.Values, env)
	platform := ci.Detect(env, cfg.Platform)
	// Every byte printed or written is redacted, whatever its source: a
	// gateway may echo the token, and a user may paste it in a setting.
	red := redact.New(env["INPUT_API-KEY"], env["SPLX_API_KEY"], cfg.APIKey)
	rep := ci.New(platform, ci.Options{
		Env: env, Stdout: red.Writer(c.Stdout), Stderr: red.Writer(c.Stderr), Unredacted: c.Stdout, Redact: red,
		TTY: c.isTTY(), DotenvPath: cfg.DotenvPath, Now: c.Now, Debug: cfg.Debug,
	})
	// Before anything else is printed, GitHub learns what to mask: both
	// places the token can come from, whichever wins.
	rep.Begin([]string{env["INPUT_API-KEY"], env["SPLX_API_KEY"], cfg.APIKey})

	switch {
	case flags.Help:
		writeHelp(c.Stdout)
		return ExitOK
	case flags.Version:
		fmt.Fprintf(c.Stdout, "splx-probe-action %s\n", c.Version)
		return ExitOK
	case flagErr != nil:
		rep.Error("Invalid input", flagErr.Error()+" (see --help)")
		return invalid(rep)
	case len(flags.Args) > 0:
		// Never echo positional arguments: a token pasted there must not
		// reach the log.
		rep.Error("Invalid input", fmt.Sprintf("%d unexpected argument(s); settings are flags like --target-id 42, or the only command, demo (see --help)", len(flags.Args)))
		return invalid(rep)
	case flags.PrintConfig:
		writeConfig(c.Stdout, cfg)
		if cfgErr != nil {
			reportInputErrors(rep, cfgErr)
			return ExitInvalidInput
		}
		return ExitOK
	case cfgErr != nil:
		reportInputErrors(rep, cfgErr)
		return invalid(rep)
	}

	f := &flow{
		cfg: cfg, rep: rep, env: env, now: c.Now, version: c.Version,
		platform: platform, redact: red,
	}
	retryCap := time.Duration(0) // with wait, the timeout bounds each wait
	if !cfg.Wait {
		retryCap = maxTriggerRetryWait
	}
	f.client = probe.NewClient(cfg.APIURL, cfg.APIKey, append([]probe.Option{
		probe.WithMaxRetryWait(retryCap),
		probe.WithAbortGrace(triggerGrace),
		probe.WithUserAgent(fmt.Sprintf("splx-probe-action/%s (%s)", c.Version, ci.Label(platform, env))),
		probe.WithRequestTimeout(cfg.RequestTimeout),
		probe.WithRequestLog(func(method, path string, status int, took time.Duration, err error) {
			if err != nil {
				rep.Debug(fmt.Sprintf("%s %s: %v (%s)", method, path, err, took.Round(time.Millisecond)))
				return
			}
			rep.Debug(fmt.Sprintf("%s %s: HTTP %d (%s)", method, path, status, took.Round(time.Millisecond)))
		}),
		probe.WithRetryLog(func(e probe.RetryEvent) {
			rep.Info(fmt.Sprintf("Retrying %s in %s: attempt %d failed (%s)", e.Op, e.Wait.Round(time.Millisecond), e.Attempt, e.Reason))
		}),
	}, c.ClientOptions...)...)
	return f.run(ctx)
}

func (c *Command) isTTY() bool {
	if c.TTY != nil {
		return *c.TTY
	}
	f, ok := c.Stdout.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// invalid sets the outputs of a run refused before any request: a later
// step that reads result sees error, not nothing.
func invalid(rep ci.Reporter) int {
	rep.Outputs([]ci.Output{{Name: "status", Value: unknownStatus}, {Name: "result", Value: resultOf(ExitInvalidInput)}})
	return ExitInvalidInput
}

func reportInputErrors(rep ci.Reporter, err error) {
	var errs config.Errors
	if errors.As(err, &errs) {
		for _, e := range errs {
			rep.Error("Invalid input", e.Error())
		}
		return
	}
	rep.Error("Invalid input", err.Error())
}

// failure is an error mapped to what the user sees: an exit code, an
// annotation title and a message that says what to do next.
type failure struct {
	code  int
	title string
	msg   string
}

// classify maps an API or network error to its exit code and advice.
func (f *flow) classify(err error) failure {
	var er *probe.ErrorResponse
	var amb *probe.AmbiguousTriggerError
	text := strings.TrimRight(err.Error(), ".")
	switch {
	case errors.As(err, &amb):
		return failure{ExitAPI, "Trigger outcome unknown", text}
	case errors.As(err, &er) && er.Unauthorized():
		return failure{ExitAuth, "SPLX Probe authentication failed",
			text + ". The token is missing, wrong or expired: create a new Personal Access Token in the SPLX Probe web UI (" + f.cfg.UIURL +
				") and store it as the SPLX_API_KEY secret. Tokens only work in their own region (region: " + f.cfg.Region + ")."}
	case errors.As(err, &er) && er.Forbidden():
		return failure{ExitAuth, "SPLX Probe permission denied",
			text + ". The token's user lacks access to this target or workspace: ask a workspace admin for access, or use a token of a user who has it."}
	case errors.As(err, &er) && er.BadRequest():
		return failure{ExitInvalidInput, "SPLX Probe rejected the request",
			text + ". Check target-id, probe-ids and test-run-id against the SPLX Probe web UI."}
	case errors.Is(err, probe.ErrRedirectRefused):
		return failure{ExitAPI, "SPLX Probe API failure", text + ". Check api-url."}
	}
	return failure{ExitAPI, "SPLX Probe API failure", text + ". The API or the network failed; try again later, and check api-url and any proxy settings (HTTPS_PROXY, SSL_CERT_FILE)."}
}

// joinIDs prints ids as "1, 2, 3".
func joinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ", ")
}
