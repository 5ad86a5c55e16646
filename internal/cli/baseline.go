package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/splx-ai/splx-probe-action/internal/atomic"
	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/render"
)

// maxBaseline caps the baseline file: a results file of thousands of
// probes is a few MiB.
const maxBaseline = 64 << 20

// loadBaseline reads the baseline-path file. A missing file is a warning
// and no baseline (the first run on a new repository has none); any other
// problem refuses the run before the trigger, so no credit is spent. Only
// a regular file is read: a FIFO or a device would block or never end.
func loadBaseline(rep ci.Reporter, cfg *config.Config) (*gate.Baseline, error) {
	path := string(cfg.BaselinePath)
	if path == "" {
		return nil, nil
	}
	refuse := func(reason string) error { return &config.InputError{Name: "baseline-path", Reason: reason} }
	if cfg.TargetID == 0 {
		return nil, refuse("needs target-id as well: a baseline is compared per target")
	}
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		rep.Warning("Baseline", fmt.Sprintf("no baseline at %s (the first run on a new repository has none): the gate runs without it", path))
		return nil, nil
	}
	if err != nil {
		return nil, refuse(fmt.Sprintf("%s cannot be read: %v", path, atomic.Cause(err)))
	}
	if !st.Mode().IsRegular() {
		return nil, refuse(fmt.Sprintf("%s is not a regular file (%s); give the path of a results file", path, fileKind(st.Mode())))
	}
	if st.Size() > maxBaseline {
		return nil, refuse(fmt.Sprintf("%s is larger than %d MiB, which no results file is", path, maxBaseline>>20))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, refuse(fmt.Sprintf("%s cannot be read: %v", path, atomic.Cause(err)))
	}
	defer f.Close()
	// The file may have been swapped since the Stat: read only what was
	// checked, and no more than the cap.
	if st2, err := f.Stat(); err != nil || !os.SameFile(st, st2) {
		return nil, refuse(fmt.Sprintf("%s changed while it was opened; run again", path))
	}
	b, err := render.ReadBaseline(io.LimitReader(f, maxBaseline), int32(cfg.TargetID))
	if err != nil {
		return nil, refuse(path + " " + err.Error())
	}
	if !strings.HasPrefix(b.URL, cfg.UIURL+"/") {
		// The link is shown in the comment: only one to this platform's web
		// UI, never wherever an edited file points.
		b.URL = ""
	}
	var ambiguous []string
	for k, p := range b.Probes {
		if p.Ambiguous {
			// Keys come from the file: shown as short plain lines.
			ambiguous = append(ambiguous, escape.Line(k, 40))
		}
	}
	if len(ambiguous) > 0 {
		slices.Sort(ambiguous)
		rep.Warning("Baseline", fmt.Sprintf("%s holds probe keys %s more than once: those probes cannot be told apart, so they are compared as new (any finding fails)", path, strings.Join(ambiguous, ", ")))
	}
	rep.Info(fmt.Sprintf("Comparing with the baseline %s (test run %d, %d probes).", path, b.TestRunID, len(b.Probes)))
	return b, nil
}

// fileKind names what a path that is not a regular file is.
func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "not a plain file"
}
