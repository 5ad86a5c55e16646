package deliver

import (
	"context"

	"github.com/splx-ai/splx-probe-action/internal/render"
)

// logTable prints the result's table in the log.
type logTable struct{}

func (logTable) Name() string     { return "Log" }
func (logTable) Stage() Stage     { return AtVerdict }
func (logTable) Failure() Failure { return Warns }
func (logTable) Deliver(_ context.Context, r *Run) error {
	r.Log.Table(render.Table(r.Result))
	return nil
}

// summary adds the result to the job summary where the platform has one.
type summary struct{}

func (summary) Name() string     { return "Job summary" }
func (summary) Stage() Stage     { return AtVerdict }
func (summary) Failure() Failure { return Warns }
func (summary) Deliver(_ context.Context, r *Run) error {
	r.Log.Summary(render.Markdown(r.Result, r.Settings.Value("results-path")))
	return nil
}

// annotations marks each probe over its threshold or with findings, for a
// run that ended.
type annotations struct{}

func (annotations) Name() string     { return "Annotations" }
func (annotations) Stage() Stage     { return AtVerdict }
func (annotations) Failure() Failure { return Warns }
func (annotations) Deliver(_ context.Context, r *Run) error {
	if r.Ended && r.Verdict != nil {
		errs, warns := render.Annotations(r.Result)
		r.Log.Annotate(*r.Verdict, errs, warns)
	}
	return nil
}

// exitSummary is the job summary of an exit that published no results: a
// run started and not waited for, or what stopped the job, its fix and
// the run's link. Every exit leaves a job summary.
type exitSummary struct{}

func (exitSummary) Name() string     { return "Job summary" }
func (exitSummary) Stage() Stage     { return AtExit }
func (exitSummary) Failure() Failure { return Warns }
func (exitSummary) Deliver(_ context.Context, r *Run) error {
	switch {
	case r.Result != nil:
	case r.Problem == nil && r.Started != nil:
		r.Log.Summary(render.StartedSummary(r.Started))
	case r.Problem != nil:
		url := ""
		if r.ID != 0 {
			url = r.URL()
		}
		r.Log.Summary(r.Redact.String(render.ExitSummary(r.Problem, r.ID, url)))
	}
	return nil
}
