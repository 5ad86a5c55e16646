package deliver

import (
	"context"
	"strings"

	"github.com/splx-ai/splx-probe-action/internal/report"
)

// logTable prints the result's table in the log.
type logTable struct{}

func (logTable) Name() string     { return "Log" }
func (logTable) Stage() Stage     { return AtVerdict }
func (logTable) Failure() Failure { return Warns }
func (logTable) Deliver(_ context.Context, r *Run) error {
	for _, l := range strings.Split(report.Table(r.Result), "\n") {
		r.Log.Info(l)
	}
	return nil
}

// summary adds the result to the job summary where the platform has one.
type summary struct{}

func (summary) Name() string     { return "Job summary" }
func (summary) Stage() Stage     { return AtVerdict }
func (summary) Failure() Failure { return Warns }
func (summary) Deliver(_ context.Context, r *Run) error {
	r.Log.Summary(report.Markdown(r.Result, r.Settings.Value("results-path")))
	return nil
}

// annotations marks each probe over its threshold or with findings, for a
// run that ended.
type annotations struct{}

func (annotations) Name() string     { return "Annotations" }
func (annotations) Stage() Stage     { return AtVerdict }
func (annotations) Failure() Failure { return Warns }
func (annotations) Deliver(_ context.Context, r *Run) error {
	if r.Ended {
		r.Log.Annotate(report.Annotations(r.Result))
	}
	return nil
}
