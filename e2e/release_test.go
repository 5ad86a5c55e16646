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
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
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
	copyFile(t, ".github/release-tag.sh", filepath.Join(work, ".github", "release-tag.sh"), 0o644)
	testenv.WriteFile(t, filepath.Join(work, "dist", "checksums.txt"), strings.Repeat("a", 64)+"  splx-probe_1.2.3_linux_amd64.tar.gz\n")
	testenv.WriteFile(t, filepath.Join(work, ".gitignore"), "dist/\n")
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

// chain is a release made by the release workflow's steps in order.
type chain struct {
	origin  string // the bare origin the tags were pushed to
	work    string // the workflow's checkout, after its steps
	dist    string // GoReleaser's dist folder of the tag build
	version string // 1.0.0
	digest  string // the image digest the steps pinned
	commit  string // the release commit
	log     string // what fake docker, crane and gh were asked to do
}

// fakeTools writes stand-ins for what the workflow runs against GitHub and
// ghcr.io: docker (buildx build writes the image id GoReleaser reads, as
// buildx --iidfile does), crane and gh. Each records its arguments.
func fakeTools(t *testing.T, dir, log, hex string) {
	t.Helper()
	for name, body := range map[string]string{
		"docker": `case "$1 $2" in
  "buildx build")
    for a; do case "$a" in --iidfile=*) f=${a#--iidfile=} ;; esac; done
    [ -f Dockerfile ] && [ -f linux/amd64/splx-probe ] && [ -f linux/arm64/splx-probe ] || { echo "build context: $(find . -type f)" >&2; exit 1; }
    printf 'sha256:%s' "` + hex + `" >"$f" ;;
  "buildx inspect") echo "Driver: docker-container" ;;
esac`,
		"crane": `:`,
		"gh":    `[ "$1 $2" = "release view" ] && echo "GoReleaser's notes"; :`,
	} {
		testenv.WriteFile(t, filepath.Join(dir, name), "#!/bin/sh\necho \""+name+" $*\" | tr '\\n' ' ' >>"+log+"\necho >>"+log+"\n"+body+"\n")
		os.Chmod(filepath.Join(dir, name), 0o755)
	}
}

// releaseChain pushes a tag v1.0.0 of this source to a local bare origin
// and runs the release workflow's steps on it, in the workflow's order:
// the tag check, the pinned GoReleaser's tag build (the GitHub release
// disabled, docker a stand-in, no SBOMs: the snapshot test covers them),
// the image digest step on the digests.txt GoReleaser wrote, the release
// commit and its three tags, and the publish step.
func releaseChain(t *testing.T) chain {
	t.Helper()
	needTools(t)
	goreleaser := tool(t, "goreleaser")
	root := t.TempDir()
	c := chain{origin: filepath.Join(root, "origin.git"), work: filepath.Join(root, "work"), version: "1.0.0"}
	c.dist = filepath.Join(c.work, "dist")
	files, err := exec.Command("git", "ls-files").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, f := range strings.Fields(string(files)) {
		info, err := os.Stat(f)
		if err != nil {
			continue // deleted in the working tree
		}
		copyFile(t, f, filepath.Join(c.work, f), info.Mode().Perm())
	}
	mustGit(t, root, "init", "-q", "--bare", c.origin)
	mustGit(t, c.work, "init", "-q")
	mustGit(t, c.work, "remote", "add", "origin", c.origin)
	mustGit(t, c.work, "add", "-A")
	mustGit(t, c.work, "commit", "-qm", "source")
	mustGit(t, c.work, "tag", "-a", "v1.0.0", "-m", "v1.0.0")
	mustGit(t, c.work, "push", "-q", "origin", "main", "v1.0.0")

	bin := filepath.Join(root, "bin")
	c.log = filepath.Join(root, "tools.log")
	hex := strings.Repeat("5e", 32)
	fakeTools(t, bin, c.log, hex)
	step := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = c.work
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "GOPROXY=off", "GOFLAGS=-mod=mod",
			"GIT_AUTHOR_NAME=ci", "GIT_AUTHOR_EMAIL=ci@example.invalid", "GIT_COMMITTER_NAME=ci", "GIT_COMMITTER_EMAIL=ci@example.invalid")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return strings.TrimSpace(string(out))
	}

	step("bash", ".github/release-commit.sh", "--check", "v1.0.0")
	config, err := os.ReadFile(".goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	offline := strings.Replace(string(config), "\n  draft: true\n", "\n  disable: true\n  draft: true\n", 1)
	if offline == string(config) {
		t.Fatal(".goreleaser.yaml no longer makes a draft release")
	}
	testenv.WriteFile(t, filepath.Join(root, "goreleaser.yaml"), offline)
	// GoReleaser wants a token even with the release disabled; it sends it nowhere.
	step("env", "GITHUB_TOKEN=unused", goreleaser, "release", "--clean", "--skip=sbom", "--config", filepath.Join(root, "goreleaser.yaml"))
	c.digest = step("bash", ".github/image-digest.sh", "dist/digests.txt", c.version)
	if c.digest != "sha256:"+hex {
		t.Fatalf("image-digest.sh read %q from the digests.txt GoReleaser wrote, want sha256:%s", c.digest, hex)
	}
	step("bash", ".github/release-commit.sh", "v1.0.0", c.digest)
	step("bash", ".github/release-publish.sh", "v1.0.0", c.digest)
	out, err := exec.Command("git", "-C", c.origin, "rev-parse", "v1.0.0^{commit}").Output()
	if err != nil {
		t.Fatal(err)
	}
	c.commit = strings.TrimSpace(string(out))
	return c
}

// TestReleaseChain: a tag pushed to an origin becomes a release that
// works: the tags v1.0.0, v1.0 and v1 name one release commit on top of
// the tag's, with the build's checksums and the image digest GoReleaser
// pushed; the image's moving tags and the GitHub release come last; a
// re-run is refused before it builds anything; and the action at v1
// installs the release's binary from archives served on 127.0.0.1.
func TestReleaseChain(t *testing.T) {
	c := releaseChain(t)
	git := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("git", append([]string{"-C", c.origin}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	source := strings.TrimSpace(git("rev-parse", "main"))
	for _, tag := range []string{"v1.0.0", "v1.0", "v1"} {
		if got := strings.TrimSpace(git("rev-parse", tag+"^{commit}")); got != c.commit {
			t.Errorf("%s is %s, want the release commit %s", tag, got, c.commit)
		}
	}
	if parent := strings.TrimSpace(git("rev-parse", c.commit+"^")); parent != source {
		t.Errorf("the release commit's parent is %s, want the tagged source %s", parent, source)
	}
	dist, err := os.ReadFile(filepath.Join(c.dist, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got := git("show", "v1:release/checksums.txt"); got != string(dist) {
		t.Errorf("release/checksums.txt differs from the build's:\n%s\nwant:\n%s", got, dist)
	}
	if got := git("show", "v1:docker/action.yml"); !strings.Contains(got, "  image: docker://ghcr.io/splx-ai/splx-probe-action:1.0.0@"+c.digest+"\n") {
		t.Errorf("docker/action.yml is not pinned to %s:\n%s", c.digest, got)
	}
	log, _ := os.ReadFile(c.log)
	calls := strings.Split(strings.TrimSpace(string(log)), "\n")
	image := "ghcr.io/splx-ai/splx-probe-action"
	want := []string{
		"crane tag " + image + "@" + c.digest + " 1.0",
		"crane tag " + image + "@" + c.digest + " 1",
		"gh release view v1.0.0 --json body --jq .body",
	}
	var got []string
	for i, l := range calls {
		l = strings.TrimSpace(l)
		calls[i] = l
		if !strings.HasPrefix(l, "docker") && !strings.HasPrefix(l, "gh release edit") {
			got = append(got, l)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("publish step (-want +got):\n%s", diff)
	}
	if last := calls[len(calls)-1]; !strings.HasPrefix(last, "gh release edit v1.0.0 --draft=false --notes GoReleaser's notes  Release commit: ") || !strings.Contains(last, "uses: splx-ai/splx-probe-action@"+c.commit+" # v1.0.0") {
		t.Errorf("the last step is %q, want the draft published with the release commit in its notes", last)
	}
	if !strings.Contains(string(log), "docker buildx build --platform linux/amd64,linux/arm64 -t "+image+":1.0.0 --push") || strings.Contains(string(log), image+":1 ") {
		t.Errorf("GoReleaser should push only %s:1.0.0 (the moving tags come last):\n%s", image, log)
	}

	// The README's results example shows the version as a release writes it.
	if readme, _ := os.ReadFile("README.md"); !strings.Contains(string(readme), `"tool": {"name": "splx-probe-action", "version": "`+c.version+`"}`) {
		t.Errorf("the README's results JSON example does not show tool.version as a release writes it (%s)", c.version)
	}

	// A re-run of the workflow after the tags moved stops before building.
	cmd := exec.Command("bash", ".github/release-commit.sh", "--check", "v1.0.0")
	cmd.Dir = c.work
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "already points at a release commit") {
		t.Errorf("the tag check passed after the release: %v\n%s", err, out)
	}

	// uses: splx-ai/splx-probe-action@v1, resolved in the origin, installs
	// the build's binary from the archives GoReleaser named.
	action := filepath.Join(t.TempDir(), "action")
	mustGit(t, ".", "clone", "-q", "--branch", "v1", c.origin, action)
	srv := httptest.NewServer(http.StripPrefix("/v"+c.version, http.FileServer(http.Dir(c.dist))))
	defer srv.Close()
	outputs := filepath.Join(t.TempDir(), "outputs")
	install := exec.Command("bash", filepath.Join(action, "action", "install.sh"))
	install.Env = append(os.Environ(), "GITHUB_ACTION_PATH="+action, "GITHUB_OUTPUT="+outputs, "RUNNER_OS=Linux", "RUNNER_ARCH=X64",
		"RUNNER_TEMP="+t.TempDir(), "RUNNER_TOOL_CACHE="+t.TempDir(), "SPLX_ACTION_INPUT_DOWNLOAD_URL="+srv.URL)
	if out, err := install.CombinedOutput(); err != nil || !strings.Contains(string(out), "Installed splx-probe 1.0.0 (linux/amd64)") {
		t.Fatalf("install.sh at v1: %v\n%s", err, out)
	}
	data, _ := os.ReadFile(outputs)
	path := strings.TrimPrefix(strings.TrimSpace(string(data)), "path=")
	if runtime.GOARCH == "amd64" {
		if out, err := exec.Command(path, "--version").CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "splx-probe-action 1.0.0" {
			t.Errorf("the installed binary: %v %q, want version 1.0.0", err, out)
		}
	}
}

// TestImageDigest: the digest step reads GoReleaser v2.15.1's digests.txt
// (TestReleaseChain has the real one) and refuses anything it cannot be
// sure of, before the release commit pins it.
func TestImageDigest(t *testing.T) {
	t.Parallel()
	a, b := strings.Repeat("a", 64), strings.Repeat("b", 64)
	image := "ghcr.io/splx-ai/splx-probe-action:"
	tests := []struct {
		name, file, want string
	}{
		{"v2.15.1 format", a + "  " + image + "1.2.3\n", "sha256:" + a},
		{"prefixed digest", "sha256:" + a + " " + image + "1.2.3\n", "sha256:" + a},
		{"other versions listed", b + "  " + image + "1.2.2\n" + a + "  " + image + "1.2.3\n", "sha256:" + a},
		{"two digests for the version", a + "  " + image + "1.2.3\n" + b + "  " + image + "1.2.3\n", ""},
		{"no line for the version", a + "  " + image + "1.2.30\n", ""},
		{"not a SHA-256", "abc  " + image + "1.2.3\n", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "digests.txt")
			testenv.WriteFile(t, file, tt.file)
			var stdout, stderr strings.Builder
			cmd := exec.Command("bash", ".github/image-digest.sh", file, "1.2.3")
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if got := strings.TrimSpace(stdout.String()); got != tt.want || (err == nil) != (tt.want != "") {
				t.Errorf("image-digest.sh: %q, %v; want %q\n%s", got, err, tt.want, stderr.String())
			}
			if tt.want == "" && !strings.HasPrefix(stderr.String(), "::error::") {
				t.Errorf("a refusal without an ::error annotation: %q", stderr.String())
			}
		})
	}
}
