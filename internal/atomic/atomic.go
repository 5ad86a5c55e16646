// Package atomic replaces whole files in one rename, so that a reader never
// sees half of one: every report the tool writes goes through WriteFile.
package atomic

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFile writes a temporary file beside path with write, then renames it
// over path, creating path's folder when needed. Its errors name the
// user's path, never the temporary file.
func WriteFile(path string, write func(*os.File) error) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return errors.New("it is a directory; give the path of a file")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create the folder %s: %w", dir, Cause(err))
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot create a file in %s: %w", dir, Cause(err))
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return Cause(err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return Cause(err)
	}
	if err := tmp.Close(); err != nil {
		return Cause(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot replace it: %w", Cause(err))
	}
	return nil
}

// Cause strips the file name from an *os.PathError or *os.LinkError, which
// would name the temporary file.
func Cause(err error) error {
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
