package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// writeFile renders into memory, redacts the secrets and replaces path in
// one rename, so a consumer never reads a half-written report.
func (f *flow) writeFile(path string, render func(*bytes.Buffer) error) error {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	data := f.redact.Bytes(b.Bytes())
	return replaceFile(path, func(file *os.File) error {
		_, err := file.Write(data)
		return err
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
