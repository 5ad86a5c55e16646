package atomic

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteFile: the file is replaced whole, its folder created; a failed
// write leaves the old file and no temporary file, and errors name the
// user's path, never the temporary one.
func TestWriteFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "report.xml")
	write := func(text string) func(*os.File) error {
		return func(f *os.File) error { _, err := f.WriteString(text); return err }
	}
	if err := WriteFile(path, write("one")); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, func(*os.File) error {
		return &os.PathError{Op: "write", Path: "/tmp/.x.tmp-1", Err: errors.New("disk full")}
	}); err == nil || strings.Contains(err.Error(), ".tmp-") {
		t.Errorf("error %v names the temporary file", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "one" {
		t.Errorf("a failed write changed the file: %q", data)
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("left behind: %v", entries)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", st.Mode())
	}
	if err := WriteFile(dir, write("x")); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("writing over a directory: %v", err)
	}
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(filepath.Join(blocker, "x"), write("x")); err == nil || !strings.Contains(err.Error(), "cannot create the folder") {
		t.Errorf("a folder that is a file: %v", err)
	}
	le := &os.LinkError{Op: "rename", Old: "a", New: "b", Err: errors.New("busy")}
	if Cause(le).Error() != "busy" || Cause(errors.New("x")).Error() != "x" {
		t.Error("Cause")
	}
}
