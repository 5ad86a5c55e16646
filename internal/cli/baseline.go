package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/report"
)

// loadBaseline reads the baseline-path file. A missing file is a warning
// and no baseline (the first run on a new repository has none); any other
// problem refuses the run before the trigger, so no credit is spent.
func loadBaseline(rep ci.Reporter, cfg *config.Config) (*gate.Baseline, error) {
	path := string(cfg.BaselinePath)
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		rep.Warning("Baseline", fmt.Sprintf("no baseline at %s (the first run on a new repository has none): the gate runs without it", path))
		return nil, nil
	}
	if err != nil {
		return nil, &config.InputError{Name: "baseline-path", Reason: fmt.Sprintf("%s cannot be read: %v", path, cause(err))}
	}
	defer f.Close()
	b, err := report.ReadBaseline(f, int32(cfg.TargetID))
	if err != nil {
		return nil, &config.InputError{Name: "baseline-path", Reason: path + " " + err.Error()}
	}
	rep.Info(fmt.Sprintf("Comparing with the baseline %s (test run %d, %d probes).", path, b.TestRunID, len(b.FailedPercent)))
	return b, nil
}
