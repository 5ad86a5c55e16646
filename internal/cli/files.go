package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/config"
)

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
	// The reports first, then the platform's own files (GitLab's dotenv,
	// written on that platform or wherever it is set), then the tool's
	// other files: an error names the later of two paths.
	settings, platformFiles, ownFiles := config.Settings(), ci.AllFileSettings(), platform.FileSettings()
	var order []config.Setting
	for _, pass := range []func(s config.Setting) bool{
		func(s config.Setting) bool { return s.Report },
		func(s config.Setting) bool {
			return slices.Contains(platformFiles, s.Name) && (cfg.Set(s.Name) || slices.Contains(ownFiles, s.Name))
		},
		func(s config.Setting) bool { return s.Writes && !s.Report },
	} {
		for _, s := range settings {
			if pass(s) {
				order = append(order, s)
			}
		}
	}
	for _, s := range order {
		path := cfg.Value(s.Name)
		if path == "" {
			continue
		}
		w := named{s.Name, path, identify(path)}
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
	for _, v := range ci.RunnerFiles() {
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
