// Package cli runs the tool: it reads the settings, triggers or attaches to
// a test run, waits for it when asked, gates the job on the findings and
// reports them to the CI platform. main only wires it to the process.
//
// The flow returns an error; Command.Run maps it to an exit code and to
// what the user reads, once, through the table in exit.go.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/debug"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/deliver"
	"github.com/splx-ai/splx-probe-action/internal/probe"
	"github.com/splx-ai/splx-probe-action/internal/redact"
)

// Clock is the time the flow reads and waits on. Tests give a fake one, so
// that waiting for a run takes no real time.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Command is one invocation of the tool with its process wired in, so that
// tests run it in-process exactly as main does.
type Command struct {
	// Version is stamped at build time; when empty, the module's version or
	// VCS revision from the build information is used.
	Version string
	Stdout  io.Writer
	Stderr  io.Writer
	// Environ is the process environment as KEY=value strings.
	Environ []string
	// Clock is the time; the real one when nil.
	Clock Clock
	// TTY forces terminal behaviour; when nil it is detected from Stdout.
	TTY *bool
	// Width is the terminal's width in columns; when nil it is read from
	// Stdout's terminal, else COLUMNS, else 80.
	Width func() int
	// Dir is where demo writes its previews ("" for the working directory).
	Dir string
	// ClientOptions are added to the API client's (tests record retries).
	ClientOptions []probe.Option
	// Resolver and Dial are what doctor's DNS checks use; the system's when
	// nil (tests give fakes that only reach 127.0.0.1).
	Resolver Resolver
	Dial     func(ctx context.Context, network, address string) (net.Conn, error)
}

// Resolver looks up a host's addresses, as *net.Resolver does.
type Resolver interface {
	LookupHost(ctx context.Context, host string) ([]string, error)
}

// Run runs the tool with the command-line arguments (without the program
// name) and returns the exit code.
func (c *Command) Run(ctx context.Context, args []string) ExitCode {
	if c.Clock == nil {
		c.Clock = realClock{}
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
	cictx := ci.Detect(env, string(cfg.Platform))
	// Every byte printed or written is redacted, whatever its source: a
	// gateway may echo the token, and a user may paste it in a setting. The
	// secrets are the settings marked secret, from wherever each can come.
	secrets := config.Secrets(env)
	red := redact.New(secrets...)
	rep := ci.New(cictx.Platform, ci.Options{
		Env: env, Stdout: red.Writer(c.Stdout), Stderr: red.Writer(c.Stderr), Unredacted: c.Stdout, Redact: red,
		TTY: c.isTTY(), Width: c.width(env), Setting: cfg.Value, Now: c.Clock.Now, Debug: bool(cfg.Debug),
	})
	// Before anything else is printed, GitHub learns what to mask.
	rep.Begin(secrets)
	var rec *summaryRecorder
	if flags.Demo && flagErr == nil {
		rec = &summaryRecorder{Reporter: rep}
		rep = rec
		rep.Info("Demo: the whole flow against a fake SPLX Probe API on 127.0.0.1 (no account, no credits); the pull request comment and the job summary it would post go to " + previewComment + " and " + previewSummary + ".")
	}

	if cictx.EventErr != nil {
		rep.Warning("Pull request comment", fmt.Sprintf("could not read the event payload, so no pull request is known: %v", cictx.EventErr))
	}
	// Every exit of a run reaches the destinations of its exit (the pull
	// request comment), whatever stopped it: an earlier verdict must not
	// stay on the pull request.
	run := &deliver.Run{Settings: cfg, CI: cictx, Log: rep, Redact: red, Clock: c.Clock, Version: c.version()}
	finish := func(code ExitCode, err error) ExitCode {
		run.Problem = problem(run, code, err)
		// Every exit leaves a job summary (the results', or what happened)
		// and updates its pull request comment.
		if xcode := reportErr(rep, cfg, deliver.Exit(ctx, run)); code == ExitOK {
			code = xcode
		}
		if rec != nil {
			c.previews(rec, run)
		}
		if ctx.Err() != nil && code != ExitInterrupted {
			// A signal after the verdict (while publishing or commenting)
			// still ends the job as cancelled.
			rep.Error("Interrupted", "the job was cancelled before the tool finished; the verdict above stands, but the job did not complete")
			return ExitInterrupted
		}
		return code
	}

	// A command line that does not parse still names its command.
	doctorAsked := flags.Doctor || bool(cfg.Doctor) || len(args) > 0 && args[0] == "doctor"
	switch {
	case flags.Help:
		writeHelp(c.Stdout)
		return ExitOK
	case flags.Version:
		fmt.Fprintf(c.Stdout, "splx-probe-action %s\n", c.version())
		return ExitOK
	case doctorAsked && (flagErr != nil || len(flags.Args) > 0):
		// The doctor writes no outputs, even about its own command line.
		return reportErr(rep, nil, commandLineError(flagErr, args, flags.Args))
	case flagErr != nil || len(flags.Args) > 0:
		err := commandLineError(flagErr, args, flags.Args)
		return finish(fail(run, nil, err), err)
	case doctorAsked:
		d := &doctor{rep: rep, cfg: cfg, ci: cictx, env: env, resolver: c.Resolver, dial: c.Dial}
		if d.resolver == nil {
			d.resolver = net.DefaultResolver
		}
		if d.dial == nil {
			d.dial = (&net.Dialer{}).DialContext
		}
		if cfgErr == nil {
			d.client = c.client(cfg, cictx, rep, red, true)
		}
		return d.run(ctx, explainToken(cfgErr, cictx))
	case flags.PrintConfig:
		writeConfig(c.Stdout, cfg)
		return reportErr(rep, nil, explainToken(cfgErr, cictx))
	case cfgErr != nil:
		err := explainToken(cfgErr, cictx)
		return finish(fail(run, nil, err), err)
	}

	if err := checkReportPaths(cfg, env, cictx.Platform); err != nil {
		return finish(fail(run, cfg, err), err)
	}
	baseline, err := loadBaseline(rep, cfg)
	if err != nil {
		return finish(fail(run, cfg, err), err)
	}
	run.Client = c.client(cfg, cictx, rep, red, bool(cfg.Debug) || env["RUNNER_DEBUG"] == "1")
	f := &flow{Run: run, baseline: baseline}
	err = f.run(ctx)
	// The outputs before the errors: the log ends with what went wrong.
	if !f.outputsSet {
		f.outputs("", exitCode(err).Result())
	}
	code := reportErr(rep, cfg, err)
	return finish(code, err)
}

// commandLineError is the error of a command line that is not the tool's.
// Positional arguments are never echoed: a token pasted there must not
// reach the log.
func commandLineError(flagErr error, all, args []string) error {
	if flagErr != nil {
		return usageError(flagErr.Error() + " (see --help)")
	}
	// A switch takes its value with "=": "--wait yes" leaves "yes" over,
	// which is a boolean word, so it can be shown.
	if at := len(all) - len(args); at > 0 && len(args) > 0 {
		if name, ok := config.BoolFlagValue(all[at-1], args[0]); ok {
			return usageError(fmt.Sprintf("unexpected argument %q after --%s: a switch takes its value with =, as in --%s=%s (see --help)", args[0], name, name, args[0]))
		}
	}
	return usageError(fmt.Sprintf("%d unexpected argument(s), not shown (one could be a token); settings are flags like --target-id 42, or the commands demo and doctor (see --help)", len(args)))
}

// client is the API client for valid settings, logging to rep. It removes
// every secret in red from what the API says, as it reads it. shapes says
// whether anyone reads the status answers' shapes (doctor, debug logs).
func (c *Command) client(cfg *config.Config, cictx ci.Context, rep ci.Reporter, red *redact.Redactor, shapes bool) *probe.Client {
	retryCap := time.Duration(0) // with wait, the timeout bounds each wait
	if !cfg.Wait {
		retryCap = maxTriggerRetryWait
	}
	return probe.NewClient(cfg.APIURL, string(cfg.APIKey), append([]probe.Option{
		probe.WithUserAgent(fmt.Sprintf("splx-probe-action/%s (%s)", c.version(), cictx.Label())),
		probe.WithRedactor(red),
		probe.WithShapes(shapes),
		probe.WithRequestTimeout(time.Duration(cfg.RequestTimeout)),
		probe.WithMaxRetryWait(retryCap),
		probe.WithAbortGrace(triggerGrace),
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
}

// fail reports an error found before any request and sets the outputs of a
// run that never started: a later step that reads result sees error.
func fail(run *deliver.Run, cfg *config.Config, err error) ExitCode {
	run.Log.Outputs(deliver.Base(run, "", exitCode(err).Result()))
	return reportErr(run.Log, cfg, err)
}

// reportErr shows each error as an annotation and returns the exit code.
func reportErr(rep ci.Reporter, cfg *config.Config, err error) ExitCode {
	if err == nil {
		return ExitOK
	}
	for _, e := range split(err) {
		if ve, ok := e.(*VerdictError); ok && ve.Shown {
			continue // annotated with the probes already
		}
		rep.Error(annotation(e, cfg))
	}
	return exitCode(err)
}

// explainToken adds what the CI context knows to an empty token's error:
// fork pull requests and Dependabot runs get no secrets on GitHub.
func explainToken(err error, cictx ci.Context) error {
	hint := cictx.MissingTokenHint()
	var errs config.Errors
	if hint == "" || !errors.As(err, &errs) {
		return err
	}
	for _, e := range errs {
		if e.MissingToken {
			e.Reason = "is empty; " + hint
		}
	}
	return err
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

// version is the stamped version, else what the build recorded: the
// module's version (go install …@v1.2.3), else the VCS revision (a build
// from a checkout), else "dev".
func (c *Command) version() string {
	if c.Version != "" {
		return c.Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	return versionOf(info)
}

// versionOf picks the version from build information.
func versionOf(info *debug.BuildInfo) string {
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "dev"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		rev += "-dirty"
	}
	return "dev-" + rev
}
