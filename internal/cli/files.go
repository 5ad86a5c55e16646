package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/config"
)

// writeFile renders straight into a temporary file beside path, redacting
// the secrets as the text streams (a secret split across two writes is
// still caught), and replaces path in one rename, so a consumer never
// reads a half-written report. A big report is never held in memory whole.
func (f *flow) writeFile(path string, render func(io.Writer) error) error {
	return replaceFile(path, func(file *os.File) error {
		rw := f.redact.Stream(file)
		bw := bufio.NewWriterSize(rw, 32<<10)
		if err := render(bw); err != nil {
			return fmt.Errorf("render: %w", err)
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		return rw.Close()
	})
}

// replaceFile writes a temporary file beside path with write, then renames
// it over path. Its errors name the user's path, never the temporary file.
func replaceFile(path string, write func(*os.File) error) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return errors.New("it is a directory; give the path of a file")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create the folder %s: %w", dir, cause(err))
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot create a file in %s: %w", dir, cause(err))
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return cause(err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return cause(err)
	}
	if err := tmp.Close(); err != nil {
		return cause(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot replace it: %w", cause(err))
	}
	return nil
}

// cause strips the file name from an *os.PathError or *os.LinkError, which
// would name the temporary file.
func cause(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// downloadReport streams the PDF report to path.
func (f *flow) downloadReport(ctx context.Context, id int32, path string) (int64, error) {
	var n int64
	err := replaceFile(path, func(file *os.File) error {
		w := bufio.NewWriterSize(file, 64<<10)
		var err error
		if n, err = f.client.DownloadReport(ctx, id, w); err != nil {
			return err
		}
		return w.Flush()
	})
	return n, err
}

// fileID is what a path names on disk, to compare two paths by identity
// rather than by spelling: the file it reaches now, following symlinks
// (nil when there is none), and the directory entry a write replaces,
// named by its nearest existing directory (symlinks resolved by Stat)
// and the rest of the path below it, for files not written yet.
type fileID struct {
	file os.FileInfo
	dir  os.FileInfo
	rest string
}

// identify finds the identity of path. It never creates anything.
func identify(path string) fileID {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = filepath.Clean(path)
	}
	var id fileID
	if st, err := os.Stat(abs); err == nil {
		id.file = st
	}
	dir, rest := filepath.Dir(abs), filepath.Base(abs)
	for {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			id.dir, id.rest = st, rest
			return id
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return id
		}
		dir, rest = parent, filepath.Join(filepath.Base(dir), rest)
	}
}

// same reports whether two paths may be one file: the same file now (hard
// links and symlinks included), or the same entry of the same directory.
// Names compare without case, as macOS and Windows file systems do.
func (a fileID) same(b fileID) bool {
	if a.file != nil && b.file != nil && os.SameFile(a.file, b.file) {
		return true
	}
	return a.dir != nil && b.dir != nil && os.SameFile(a.dir, b.dir) && strings.EqualFold(a.rest, b.rest)
}

// checkReportPaths refuses, before anything is sent, report paths that
// would overwrite each other, the baseline the tool reads, or a file the
// CI runner owns (its file commands, the event file, BASH_ENV) or the
// tool's own binary; and report paths that are directories. Files are
// compared by identity: a directory symlink, a hard link or "./" does not
// hide a collision.
func checkReportPaths(cfg *config.Config, env map[string]string, platform ci.Platform) error {
	type named struct {
		name, path string
		id         fileID
	}
	var errs config.Errors
	bad := func(name, format string, a ...any) {
		errs = append(errs, &config.InputError{Name: name, Reason: fmt.Sprintf(format, a...)})
	}
	var written []named
	for _, p := range []struct {
		name string
		path config.Text
	}{{"junit-path", cfg.JUnitPath}, {"results-path", cfg.ResultsPath}, {"report-path", cfg.ReportPath}, {"sarif-path", cfg.SARIFPath}, {"codequality-path", cfg.CodeQualityPath}, {"dotenv-path", cfg.DotenvPath}, {"state-path", cfg.StatePath}} {
		// The dotenv file is only written on GitLab, or where it is set.
		if p.path == "" || (p.name == "dotenv-path" && !cfg.Set(p.name) && platform != ci.GitLab) {
			continue
		}
		w := named{p.name, string(p.path), identify(string(p.path))}
		if w.id.file != nil && w.id.file.IsDir() {
			bad(w.name, "%s is a directory; give the path of a file", strconv.Quote(w.path))
			continue
		}
		written = append(written, w)
	}
	var kept []named
	if cfg.BaselinePath != "" {
		kept = append(kept, named{"the baseline-path file, which the tool reads", string(cfg.BaselinePath), identify(string(cfg.BaselinePath))})
	}
	for _, v := range []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STEP_SUMMARY", "GITHUB_STATE", "GITHUB_PATH", "GITHUB_EVENT_PATH", "BASH_ENV"} {
		if p := env[v]; p != "" {
			kept = append(kept, named{"the runner's " + v + " file", p, identify(p)})
		}
	}
	if exe, err := os.Executable(); err == nil {
		kept = append(kept, named{"the tool's own binary", exe, identify(exe)})
	}
	for i, w := range written {
		if k := slices.IndexFunc(kept, func(k named) bool { return w.id.same(k.id) }); k >= 0 {
			bad(w.name, "%s is %s; the tool never writes over a file it reads or the runner owns: give the report a path of its own", strconv.Quote(w.path), kept[k].name)
			continue
		}
		if o := slices.IndexFunc(written[:i], func(o named) bool { return w.id.same(o.id) }); o >= 0 {
			bad(w.name, "%s is the same file as %s; give each report its own path", strconv.Quote(w.path), written[o].name)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}
