package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// A measured block of BENCHMARKS.md sits between
//
//	<!-- bench:NAME sources=PATH,PATH hash=HASH -->
//	<!-- /bench:NAME -->
//
// HASH is a digest of the sources the numbers come from, taken when they
// were measured. -publish rewrites the blocks it measures ("cli": this
// program's table, "go": the Go benchmarks) with a fresh hash; -stale
// marks every block whose sources no longer match its hash, hand-measured
// ones included.
var blockRE = regexp.MustCompile(`(?s)<!-- bench:([a-z-]+) sources=(\S+) hash=(\S+) -->\n(.*?)<!-- /bench:([a-z-]+) -->`)

// staleNote is the line -stale puts first in a block.
const staleNote = "> **Stale:** "

// goBenchmarks runs the Go benchmarks once and returns their lines.
func goBenchmarks(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", ".", "-benchmem", "-count", "1", "./internal/...")
	outb, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go test -bench: %w\n%s", err, outb)
	}
	var lines []string
	for _, l := range strings.Split(string(outb), "\n") {
		if strings.HasPrefix(l, "Benchmark") {
			lines = append(lines, strings.TrimRight(l, " \t"))
		}
	}
	return "Go benchmarks (`go test -run '^$' -bench . -benchmem ./internal/...`), " + machine() + ":\n\n```\n" + strings.Join(lines, "\n") + "\n```\n", nil
}

// sourceHash digests the files under paths (test files and testdata only
// for the "go" block, whose benchmarks live in tests).
func sourceHash(paths []string, tests bool) (string, error) {
	h := sha256.New()
	for _, root := range paths {
		var files []string
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == "testdata" && !tests {
					return filepath.SkipDir
				}
				return nil
			}
			if !tests && strings.HasSuffix(p, "_test.go") {
				return nil
			}
			files = append(files, p)
			return nil
		})
		if err != nil {
			return "", err
		}
		slices.Sort(files)
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(f), len(data))
			h.Write(data)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// blockHash is the current hash of a block's sources.
func blockHash(name, sources string) (string, error) {
	return sourceHash(strings.Split(sources, ","), name == "go")
}

// publishBlocks replaces the blocks named in fresh, with their sources'
// hash now, and re-checks the rest.
func publishBlocks(path string, fresh map[string]string, out io.Writer) error {
	return rewrite(path, out, func(name, hash, now, body string) (string, string) {
		if text, ok := fresh[name]; ok {
			return now, text
		}
		return hash, body
	})
}

// markStale marks the blocks whose sources changed since they were
// measured, and unmarks those that match again.
func markStale(path string, out io.Writer) error {
	return rewrite(path, out, func(_, hash, _, body string) (string, string) { return hash, body })
}

// rewrite passes each block through f, with the block's hash and its
// sources' hash now (taken once: it reads every source file), then puts the
// stale note on the blocks whose hash does not match their sources.
func rewrite(path string, out io.Writer, f func(name, hash, now, body string) (string, string)) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var ferr error
	var stale []string
	doc := blockRE.ReplaceAllStringFunc(string(data), func(block string) string {
		m := blockRE.FindStringSubmatch(block)
		name, sources, hash, body := m[1], m[2], m[3], m[4]
		if m[5] != name {
			ferr = fmt.Errorf("block %s ends as %s", name, m[5])
			return block
		}
		if i := strings.Index(body, staleNote); i == 0 {
			_, body, _ = strings.Cut(body, "\n\n")
		}
		now, err := blockHash(name, sources)
		if err != nil {
			ferr = err
			return block
		}
		hash, body = f(name, hash, now, body)
		if now != hash {
			stale = append(stale, name)
			again := "rerun `bench/publish.sh`"
			if name != "cli" && name != "go" {
				again = "measure them again as this section says, and put the new hash in its marker"
			}
			body = fmt.Sprintf("%s%s changed since these numbers were measured (sources hash %s, now %s): %s.\n\n%s",
				staleNote, strings.ReplaceAll(sources, ",", ", "), hash, now, again, body)
		}
		return fmt.Sprintf("<!-- bench:%s sources=%s hash=%s -->\n%s<!-- /bench:%s -->", name, sources, hash, body, name)
	})
	if ferr != nil {
		return ferr
	}
	if len(stale) > 0 {
		fmt.Fprintf(out, "stale: %s\n", strings.Join(stale, ", "))
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}
