// Package deliver carries a judged run outward: the log's table, the report
// files, the PDF, the outputs, the job summary, the annotations and the pull
// request comment. Each destination is one value in one list; it sees a Run
// that describes the run, never the flow, and declares what its failure
// means. Adding a destination is one file and one line in destinations.
package deliver

import (
	"context"
	"errors"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/probe"
	"github.com/splx-ai/splx-probe-action/internal/redact"
	"github.com/splx-ai/splx-probe-action/internal/render"
)

// Clock is the time destinations read and wait on (the flow's).
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// Run is what a destination knows of one invocation.
type Run struct {
	Settings *config.Config
	CI       ci.Context
	Log      ci.Reporter
	Redact   *redact.Redactor
	Clock    Clock
	Version  string
	// Client is the API client (the PDF report); nil before valid settings.
	Client *probe.Client
	// ID is the run triggered or attached to (0: none).
	ID int32
	// Result is the judged run (nil when none); Ended says that the run
	// ended rather than timed out.
	Result *gate.Result
	Ended  bool
	// Verdict is the verdict's annotation, shown with the probes' (nil
	// for a run that did not end).
	Verdict *ci.Note
	// Started is a run triggered without waiting (nil otherwise).
	Started *render.Started
	// Deadline ends the wait; a PDF not ready yet is awaited until then.
	Deadline time.Time
	// Problem is how the invocation ended when that is not Result's
	// verdict (set at exit, for the comment).
	Problem *render.Problem

	// outs are the outputs of the files written so far.
	outs []ci.Output
}

// URL is the run's link in the web UI ("" without workspace-id).
func (r *Run) URL() string { return r.Settings.RunURL(r.ID) }

// Stage is when a destination receives the run.
type Stage int

const (
	// AtVerdict is once a result is judged (or the wait timed out).
	AtVerdict Stage = iota
	// AtExit is every exit, after its errors were shown: a comment must not
	// keep an earlier verdict whatever stopped this run.
	AtExit
)

// Failure is what a destination's failure means for the job.
type Failure int

const (
	// Fails the job with exit 6: a file the user asked for is missing. The
	// destination returns a *WriteError.
	Fails Failure = iota
	// Warns: one warning titled with the destination's name; the exit code
	// stays.
	Warns
)

// Destination is one place a run's result goes.
type Destination interface {
	// Name titles the destination's warnings.
	Name() string
	Stage() Stage
	Failure() Failure
	// Deliver sends the run, or does nothing when it does not apply.
	Deliver(ctx context.Context, r *Run) error
}

// destinations is every destination, in the order the log shows them: the
// files before the outputs that name them, and a log (a terminal above
// all) ends with the results and the verdict.
func destinations() []Destination {
	return []Destination{
		reportFile{setting: "junit-path", what: "JUnit report", render: junit},
		reportFile{setting: "results-path", what: "Results file", render: results},
		reportFile{setting: "sarif-path", what: "SARIF file", render: sarif, verdictOnly: "No SARIF file: the run reached no verdict, and code scanning would take a file without results as every alert fixed."},
		reportFile{setting: "codequality-path", what: "Code Quality report", render: codeQuality, verdictOnly: "No Code Quality report: the run reached no verdict, and GitLab would take a report without findings as every finding fixed."},
		pdf{},
		outputs{},
		logTable{},
		summary{},
		annotations{},
		exitSummary{},
		prComment{},
		mrNote{},
	}
}

// fileDestination is a destination that writes the file a report setting
// names (the settings marked report in internal/config).
type fileDestination interface {
	Destination
	Setting() string
}

// FileName is what the destination of a report setting calls its file
// ("JUnit report"), "" for a setting without one.
func FileName(setting string) string {
	for _, d := range destinations() {
		if f, ok := d.(fileDestination); ok && f.Setting() == setting {
			return f.Name()
		}
	}
	return ""
}

// Verdict delivers a judged run to every AtVerdict destination. Files that
// could not be written come back as *WriteError, joined.
func Verdict(ctx context.Context, r *Run) error { return deliver(ctx, r, AtVerdict) }

// Exit delivers how the invocation ended to every AtExit destination.
func Exit(ctx context.Context, r *Run) error { return deliver(ctx, r, AtExit) }

func deliver(ctx context.Context, r *Run, stage Stage) error {
	var errs []error
	for _, d := range destinations() {
		if d.Stage() != stage {
			continue
		}
		err := d.Deliver(ctx, r)
		switch {
		case err == nil:
		case d.Failure() == Warns:
			r.Log.Warning(d.Name(), err.Error())
		default:
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
