package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// writeFileAtomic renders into memory and replaces path in one rename, so a
// consumer never reads a half-written report.
func writeFileAtomic(path string, render func(*bytes.Buffer) error) error {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return replaceFile(path, func(f *os.File) error {
		_, err := f.Write(b.Bytes())
		return err
	})
}

// replaceFile writes a temporary file beside path with write, then renames
// it over path.
func replaceFile(path string, write func(*os.File) error) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
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
