package deliver

import (
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/config"
)

// TestEveryReportSettingHasOneDestination: the report mark on a setting
// and the file destinations agree, so a report setting is never accepted
// and then silently not written.
func TestEveryReportSettingHasOneDestination(t *testing.T) {
	t.Parallel()
	files := map[string]int{}
	for _, d := range destinations() {
		if f, ok := d.(fileDestination); ok {
			files[f.Setting()]++
		}
	}
	for _, s := range config.Settings() {
		if s.Report && files[s.Name] != 1 {
			t.Errorf("report setting %s has %d destinations, want 1", s.Name, files[s.Name])
		}
		if s.Report && !s.NeedsWait {
			t.Errorf("report setting %s does not need wait", s.Name)
		}
		delete(files, s.Name)
	}
	for name := range files {
		t.Errorf("destination of %s writes a file no report setting names", name)
	}
	for _, s := range config.Settings() {
		if s.Report {
			out(s.Name, "") // the path is an output of the same name
		}
	}
}
