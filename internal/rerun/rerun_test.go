package rerun

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWriteRead(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "nested", "state.json")
	want := &Record{Identity: Identity{Platform: "github", CIRun: "555", TargetID: 42, ProbeIDs: []int32{3, 1}}, TestRunID: 4242, Attempt: "1", TriggeredAt: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
	if err := Write(path, want); err != nil {
		t.Fatal(err)
	}
	// Replacing it leaves one file: the temporary one was renamed.
	want.TestRunID = 4243
	if err := Write(path, want); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("%d files next to the record, want only it", len(entries))
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	if _, err := Read(filepath.Join(dir, "missing.json")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestReadInvalid(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, text, want string }{
		{"huge", `{"schema":"splx-probe-action/rerun","x":"` + strings.Repeat("a", maxSize) + `"}`, "larger than 64 KiB"},
		{"wrong type", `{"schema":"splx-probe-action/rerun","version":1,"testRunId":"4242"}`, "a field has the wrong type"},
		{"no run", `{"schema":"splx-probe-action/rerun","version":1}`, "names no test run"},
		{"not an object", `[1,2]`, "not valid JSON"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "state.json")
			if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(path)
			var inv *InvalidError
			if !errors.As(err, &inv) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Read: %v, want an InvalidError saying %q", err, tt.want)
			}
		})
	}
}

func TestMismatch(t *testing.T) {
	t.Parallel()
	base := Identity{Platform: "github", Repository: "acme/bot", CIRun: "555", Job: "red-team", Commit: "abc", APIHost: "api.probe.splx.ai", TargetID: 42, ProbeIDs: []int32{1, 2, 3}}
	for _, tt := range []struct {
		name   string
		change func(*Identity)
		want   string
	}{
		{"same", func(*Identity) {}, ""},
		{"probes in another order", func(id *Identity) { id.ProbeIDs = []int32{3, 1, 2} }, ""},
		{"other region", func(id *Identity) { id.APIHost = "us.api.probe.splx.ai" }, "it was triggered for API host api.probe.splx.ai, not us.api.probe.splx.ai"},
		{"comment key set", func(id *Identity) { id.CommentKey = "leg a" }, "it was triggered for comment-key (none), not leg a"},
		{"job and target: the first difference", func(id *Identity) { id.Job, id.TargetID = "other", 7 }, "it was triggered for job red-team, not other"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			want := base
			want.ProbeIDs = append([]int32(nil), base.ProbeIDs...)
			tt.change(&want)
			if got := base.Mismatch(want); got != tt.want {
				t.Errorf("Mismatch = %q, want %q", got, tt.want)
			}
		})
	}
}
