package deliver

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/splx-ai/splx-probe-action/internal/atomic"
	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/render"
)

// WriteError is a report file the user asked for that could not be
// written. What names the report for the annotation's title.
type WriteError struct {
	What string
	Path string
	Err  error
}

func (e *WriteError) Error() string { return fmt.Sprintf("could not write %s: %v", e.Path, e.Err) }

func (e *WriteError) Unwrap() error { return e.Err }

// reportFile is a report rendered from the result into the file its
// setting names; its output, named as the setting, is the path.
type reportFile struct {
	setting, what string
	render        func(w io.Writer, r *Run) error
	// verdictOnly files are written only for a run with a verdict; the
	// text says so in the log. An upload without results closes every open
	// finding as fixed, on a run that proved nothing.
	verdictOnly string
}

func (f reportFile) Name() string     { return f.what }
func (f reportFile) Setting() string  { return f.setting }
func (f reportFile) Stage() Stage     { return AtVerdict }
func (f reportFile) Failure() Failure { return Fails }

func (f reportFile) Deliver(_ context.Context, r *Run) error {
	path := r.Settings.Value(f.setting)
	if path == "" {
		return nil
	}
	if v := r.Result.Verdict; f.verdictOnly != "" && v != gate.Passed && v != gate.Failed {
		r.Log.Info(f.verdictOnly)
		return nil
	}
	// Rendered straight into a temporary file beside path, redacting the
	// secrets as the text streams (a secret split across two writes is
	// still caught), then one rename: a consumer never reads a
	// half-written report, and a big one is never held in memory whole.
	err := atomic.WriteFile(path, func(file *os.File) error {
		rw := r.Redact.Stream(file)
		bw := bufio.NewWriterSize(rw, 32<<10)
		if err := f.render(bw, r); err != nil {
			return fmt.Errorf("render: %w", err)
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		return rw.Close()
	})
	if err != nil {
		return &WriteError{What: f.what, Path: path, Err: err}
	}
	r.outs = append(r.outs, ci.Output{Name: f.setting, Value: path})
	return nil
}

func junit(w io.Writer, r *Run) error   { return render.JUnit(w, r.Result) }
func results(w io.Writer, r *Run) error { return render.JSON(w, r.Result, r.Version) }

func sarif(w io.Writer, r *Run) error {
	return render.SARIF(w, r.Result, render.SARIFOptions{Location: sarifLocation(r), Version: r.Version})
}

// sarifLocation is the file the SARIF results point at: the sarif-location
// setting, else the workflow or pipeline file that ran. GitHub code
// scanning rejects results without one and GitLab drops them, so its
// absence is a warning.
func sarifLocation(r *Run) string {
	loc := string(r.Settings.SARIFLocation)
	if loc == "" {
		loc = r.CI.WorkflowPath
	}
	if loc == "" {
		r.Log.Warning("SARIF file", fmt.Sprintf("its results point at no file: on %s the tool cannot tell which file of the repository the job comes from, and GitHub code scanning rejects such results (GitLab drops them): set sarif-location to a file of the repository (the workflow or pipeline file, say)", r.CI.Label()))
	}
	return loc
}

func codeQuality(w io.Writer, r *Run) error {
	return render.CodeQuality(w, r.Result, codeQualityLocation(r))
}

// codeQualityLocation is the file the Code Quality issues point at: the
// sarif-location setting, else the workflow or pipeline file that ran,
// else GitLab's default .gitlab-ci.yml (GitLab needs a path).
func codeQualityLocation(r *Run) string {
	if loc := string(r.Settings.SARIFLocation); loc != "" {
		return loc
	}
	if r.CI.WorkflowPath != "" {
		return r.CI.WorkflowPath
	}
	return ".gitlab-ci.yml"
}
