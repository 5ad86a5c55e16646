package deliver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/atomic"
	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/grace"
	"github.com/splx-ai/splx-probe-action/internal/probe"
)

// pdf downloads the platform's PDF report of a run that ended. A report
// that could not be downloaded is a warning: the platform makes it, and
// the verdict does not depend on it.
type pdf struct{}

func (pdf) Name() string     { return "PDF report" }
func (pdf) Setting() string  { return "report-path" }
func (pdf) Stage() Stage     { return AtVerdict }
func (pdf) Failure() Failure { return Warns }

func (pdf) Deliver(ctx context.Context, r *Run) error {
	p := r.Settings.Value(pdf{}.Setting())
	if p == "" || !r.Ended {
		return nil
	}
	id := r.Result.TestRunID
	// The wait's deadline bounds the download's retries too, but it always
	// gets one request's time; after a signal, grace.Signal.
	sctx, stop := grace.After(ctx, grace.Signal)
	dctx, cancel := context.WithTimeout(sctx, max(r.Deadline.Sub(r.Clock.Now()), time.Duration(r.Settings.RequestTimeout)))
	n, err := fetchReport(dctx, r, id, p)
	cancel()
	stop()
	switch {
	case err != nil && ctx.Err() != nil:
		return fmt.Errorf("the job was cancelled: gave up on the report of test run %d after the %s grace", id, grace.Signal)
	case err != nil:
		return fmt.Errorf("could not download the report of test run %d: %v", id, err)
	}
	r.Log.Info(fmt.Sprintf("Saved the PDF report (%d bytes) to %s", n, p))
	r.outs = append(r.outs, ci.Output{Name: "report-path", Value: p})
	return nil
}

// reportRetries are the waits before each new try of a PDF report that is
// not ready yet: the docs do not say how soon after FINISHED it is.
var reportRetries = [...]time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second}

// fetchReport downloads the PDF report, trying again a few times, within
// ctx and the wait's deadline, while the answer says it is not ready (400,
// 404, 409, 425, or an answer that is not a PDF).
func fetchReport(ctx context.Context, r *Run, id int32, path string) (int64, error) {
	for i := 0; ; i++ {
		n, err := downloadReport(ctx, r.Client, id, path)
		if err == nil || i == len(reportRetries) || !reportNotReady(err) {
			return n, err
		}
		wait := reportRetries[i]
		// The wait's deadline is on the injected clock, as every pause.
		if r.Clock.Now().Add(wait).After(r.Deadline) {
			return n, err
		}
		r.Log.Info(fmt.Sprintf("The PDF report of test run %d is not ready yet (%v); trying again in %s (%d of %d)", id, err, wait, i+1, len(reportRetries)))
		select {
		case <-ctx.Done():
			return n, err
		case <-r.Clock.After(wait):
		}
	}
}

func reportNotReady(err error) bool {
	var er *probe.ErrorResponse
	if errors.As(err, &er) {
		switch er.StatusCode {
		case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusTooEarly:
			return true
		}
	}
	return errors.Is(err, probe.ErrNotPDF)
}

// downloadReport streams the PDF report to path.
func downloadReport(ctx context.Context, c *probe.Client, id int32, path string) (int64, error) {
	var n int64
	err := atomic.WriteFile(path, func(file *os.File) error {
		w := bufio.NewWriterSize(file, 64<<10)
		var err error
		if n, err = c.DownloadReport(ctx, id, w); err != nil {
			return err
		}
		return w.Flush()
	})
	return n, err
}
