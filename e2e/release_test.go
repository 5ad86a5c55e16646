package e2e

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// releaseDist is the folder of a GoReleaser snapshot (.ci/run makes one
// and sets SPLX_E2E_DIST); the release tests skip without it.
func releaseDist(t *testing.T) (dir, version string) {
	t.Helper()
	dir = os.Getenv("SPLX_E2E_DIST")
	if dir == "" {
		t.Skip("set SPLX_E2E_DIST to a GoReleaser snapshot's dist folder (.ci/run does)")
	}
	data, err := os.ReadFile(filepath.Join(dir, "metadata.json"))
	if err != nil {
		t.Fatalf("no snapshot release in %s: %v", dir, err)
	}
	var meta struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(data, &meta); err != nil || meta.Version == "" {
		t.Fatalf("metadata.json: %v", err)
	}
	return dir, meta.Version
}

// readChecksums reads a sha256sum-style file into file name → digest.
func readChecksums(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 || len(fields[0]) != 64 {
			t.Fatalf("checksums line %q", sc.Text())
		}
		sums[fields[1]] = fields[0]
	}
	return sums
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestReleaseArtifacts: the snapshot has an archive for each OS and
// architecture users run (zip on Windows), each in the checksums file with
// its real digest, each with the license and an SBOM, and the binary for
// this machine reports the release's version.
func TestReleaseArtifacts(t *testing.T) {
	dir, version := releaseDist(t)
	sums := readChecksums(t, filepath.Join(dir, "checksums.txt"))
	var want []string
	for _, goos := range []string{"darwin", "linux", "windows"} {
		for _, arch := range []string{"amd64", "arm64"} {
			ext := ".tar.gz"
			if goos == "windows" {
				ext = ".zip"
			}
			want = append(want, "splx-probe_"+version+"_"+goos+"_"+arch+ext)
		}
	}
	var listed []string
	for name := range sums {
		if strings.HasSuffix(name, ".tar.gz") || strings.HasSuffix(name, ".zip") {
			listed = append(listed, name)
		}
	}
	sort.Strings(listed)
	if diff := cmp.Diff(want, listed); diff != "" {
		t.Errorf("archives in checksums.txt (-want +got):\n%s", diff)
	}
	for _, name := range want {
		path := filepath.Join(dir, name)
		if got := sha256File(t, path); got != sums[name] {
			t.Errorf("%s: SHA-256 %s, checksums.txt says %s", name, got, sums[name])
		}
		// An SBOM per archive (syft, through GoReleaser), in the checksums too.
		sbom, err := os.ReadFile(path + ".sbom.json")
		if err != nil || !strings.Contains(string(sbom), "splx-probe") || sums[name+".sbom.json"] == "" {
			t.Errorf("%s: no SBOM listed in checksums.txt (%v)", name, err)
		}
		files := archiveFiles(t, path)
		exe := "splx-probe"
		if strings.HasSuffix(name, ".zip") {
			exe += ".exe"
		}
		for _, f := range []string{exe, "LICENSE", "README.md", "CHANGELOG.md"} {
			if _, ok := files[f]; !ok {
				t.Errorf("%s lacks %s", name, f)
			}
		}
		if strings.Contains(name, "_"+runtime.GOOS+"_"+runtime.GOARCH+".") {
			bin := filepath.Join(t.TempDir(), exe)
			if err := os.WriteFile(bin, files[exe], 0o755); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, "--version").CombinedOutput()
			if err != nil || strings.TrimSpace(string(out)) != "splx-probe-action "+version {
				t.Errorf("%s --version: %q, %v; want the release's version %s", name, out, err, version)
			}
		}
	}
}

// archiveFiles reads a .tar.gz or .zip into file name → content.
func archiveFiles(t *testing.T, path string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	if strings.HasSuffix(path, ".zip") {
		zr, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			files[f.Name], _ = io.ReadAll(rc)
			rc.Close()
		}
		return files
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name], _ = io.ReadAll(tr)
	}
	return files
}

// TestReleaseCommit runs the release workflow's last step against a clone
// with a local origin: it commits the checksums and the image digest on
// top of the tag, and moves vX.Y.Z, vX.Y and vX there.
func TestReleaseCommit(t *testing.T) {
	t.Parallel()
	origin := t.TempDir()
	mustGit(t, origin, "init", "-q", "--bare")
	work := t.TempDir()
	copyFile(t, "docker/action.yml", filepath.Join(work, "docker", "action.yml"), 0o644)
	copyFile(t, ".github/release-commit.sh", filepath.Join(work, ".github", "release-commit.sh"), 0o755)
	writeFile(t, filepath.Join(work, "dist", "checksums.txt"), strings.Repeat("a", 64)+"  splx-probe_1.2.3_linux_amd64.tar.gz\n")
	writeFile(t, filepath.Join(work, ".gitignore"), "dist/\n")
	mustGit(t, work, "init", "-q")
	mustGit(t, work, "remote", "add", "origin", origin)
	mustGit(t, work, "add", "-A")
	mustGit(t, work, "commit", "-qm", "source")
	mustGit(t, work, "tag", "v1.2.3")
	mustGit(t, work, "push", "-q", "origin", "v1.2.3")

	digest := "sha256:" + strings.Repeat("0123456789abcdef", 4)
	cmd := exec.Command("bash", ".github/release-commit.sh", "v1.2.3", digest)
	cmd.Dir = work
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("release-commit.sh: %v\n%s", err, out)
	}
	show := func(ref, file string) string {
		out, err := exec.Command("git", "-C", origin, "show", ref+":"+file).CombinedOutput()
		if err != nil {
			t.Fatalf("git show %s:%s: %v\n%s", ref, file, err, out)
		}
		return string(out)
	}
	for _, tag := range []string{"v1.2.3", "v1.2", "v1"} {
		if got := show(tag, "release/version"); got != "1.2.3\n" {
			t.Errorf("%s: release/version %q", tag, got)
		}
		if got := show(tag, "release/checksums.txt"); !strings.Contains(got, "splx-probe_1.2.3_linux_amd64.tar.gz") {
			t.Errorf("%s: release/checksums.txt %q", tag, got)
		}
		if got := show(tag, "docker/action.yml"); !strings.Contains(got, "  image: docker://ghcr.io/splx-ai/splx-probe-action:1.2.3@"+digest+"\n") {
			t.Errorf("%s: docker/action.yml is not pinned to the digest:\n%s", tag, got)
		}
	}
	cmd = exec.Command("bash", ".github/release-commit.sh", "main", digest)
	cmd.Dir = work
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Errorf("a tag that is not vX.Y.Z was accepted:\n%s", out)
	}
}
