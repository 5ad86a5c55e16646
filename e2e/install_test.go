package e2e

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// The installer tests run action/install.sh as the composite action does,
// against archives served from 127.0.0.1, with a stand-in binary: a shell
// script that says which build it is.

const installVersion = "1.2.3"

// entry is one member of a test archive.
type entry struct {
	name, body, link string
	typ              byte // tar.TypeReg when zero
}

// genuine is the archive a release has: the binary, and the files around it.
func genuine(exe string) []entry {
	return []entry{{name: exe, body: "#!/bin/sh\necho genuine build\n"}, {name: "LICENSE", body: "MIT\n"}}
}

func tarGz(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o755, Size: int64(len(e.body)), Typeflag: e.typ, Linkname: e.link}
		if e.typ == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipOf(t *testing.T, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		mode := os.FileMode(0o755)
		body := e.body
		if e.typ == tar.TypeSymlink {
			mode, body = os.ModeSymlink|0o777, e.link
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// release is an action ref with release files and the host serving its
// archive.
type release struct {
	dir       string // the action's checkout (GITHUB_ACTION_PATH)
	cache     string // RUNNER_TOOL_CACHE
	archive   string // the archive's file name
	data      []byte // the archive's bytes, as checksums.txt lists them
	url       string // download-url
	downloads atomic.Int64
}

// newRelease writes an action ref whose release/checksums.txt lists data
// as the archive for goos/amd64, and serves data (or the handler's answer)
// from 127.0.0.1.
func newRelease(t *testing.T, goos string, data []byte, handler http.HandlerFunc) *release {
	t.Helper()
	ext := "tar.gz"
	if goos == "windows" {
		ext = "zip"
	}
	r := &release{dir: t.TempDir(), cache: t.TempDir(), data: data,
		archive: fmt.Sprintf("splx-probe_%s_%s_amd64.%s", installVersion, goos, ext)}
	copyFile(t, "action/install.sh", filepath.Join(r.dir, "action", "install.sh"), 0o755)
	testenv.WriteFile(t, filepath.Join(r.dir, "release", "version"), installVersion+"\n")
	sum := sha256.Sum256(data)
	testenv.WriteFile(t, filepath.Join(r.dir, "release", "checksums.txt"),
		hex.EncodeToString(sum[:])+"  "+r.archive+"\n"+strings.Repeat("0", 64)+"  checksums.txt.sbom.json\n")
	if handler == nil {
		handler = func(w http.ResponseWriter, req *http.Request) {
			if req.URL.Path != "/v"+installVersion+"/"+r.archive {
				http.NotFound(w, req)
				return
			}
			w.Write(r.data)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.downloads.Add(1)
		handler(w, req)
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

// install is one run of install.sh.
type install struct {
	log  string
	path string // the binary it named in its outputs ("" when it failed)
	err  error
}

// errors returns the log's ::error annotations.
func (in install) errors() []string {
	var out []string
	for _, l := range strings.Split(in.log, "\n") {
		if strings.HasPrefix(l, "::error") {
			out = append(out, l)
		}
	}
	return out
}

func (r *release) install(t *testing.T, env ...string) install {
	t.Helper()
	tmp := t.TempDir()
	out := filepath.Join(t.TempDir(), "output")
	goos := "Linux"
	if strings.HasSuffix(r.archive, ".zip") {
		goos = "Windows"
	}
	cmd := exec.Command("bash", filepath.Join(r.dir, "action", "install.sh"))
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + tmp,
		"GITHUB_ACTION_PATH=" + r.dir, "GITHUB_OUTPUT=" + out, "RUNNER_OS=" + goos, "RUNNER_ARCH=X64",
		"RUNNER_TEMP=" + tmp, "RUNNER_TOOL_CACHE=" + r.cache, "SPLX_ACTION_INPUT_DOWNLOAD_URL=" + r.url,
		"SPLX_DOWNLOAD_TIMEOUT=5", "SPLX_DOWNLOAD_ATTEMPTS=2"}, env...)
	log, err := cmd.CombinedOutput()
	in := install{log: string(log), err: err}
	outputs, _ := os.ReadFile(out)
	for _, l := range strings.Split(string(outputs), "\n") {
		if p, ok := strings.CutPrefix(l, "path="); ok {
			in.path = p
		}
	}
	if (err == nil) != (in.path != "") {
		t.Errorf("install.sh: %v, yet path=%q\n%s", err, in.path, log)
	}
	return in
}

// runs reports what the installed binary says it is.
func runs(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command(path).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", path, err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestInstallVerifiesTheToolCache: what runs is always the release's
// bytes. A tool cache whose archive was replaced (a self-hosted runner's
// cache outlives jobs) is a cache miss: downloaded again, verified,
// replaced; the replacement never runs.
func TestInstallVerifiesTheToolCache(t *testing.T) {
	t.Parallel()
	r := newRelease(t, "linux", tarGz(t, genuine("splx-probe")), nil)
	first := r.install(t)
	if first.err != nil || !strings.Contains(first.log, "Installed splx-probe "+installVersion) {
		t.Fatalf("cold install: %v\n%s", first.err, first.log)
	}
	if got := runs(t, first.path); got != "genuine build" {
		t.Fatalf("installed binary says %q", got)
	}
	if strings.HasPrefix(first.path, r.cache) {
		t.Errorf("the binary runs from the shared tool cache (%s): another job can replace it", first.path)
	}
	warm := r.install(t)
	if warm.err != nil || !strings.Contains(warm.log, "from the tool cache, SHA-256") || r.downloads.Load() != 1 {
		t.Fatalf("warm install: %v, %d downloads\n%s", warm.err, r.downloads.Load(), warm.log)
	}

	cached := filepath.Join(r.cache, "splx-probe", installVersion, "amd64", r.archive)
	evil := tarGz(t, []entry{{name: "splx-probe", body: "#!/bin/sh\necho \"replaced build: $SPLX_API_KEY\"\n"}})
	if err := os.WriteFile(cached, evil, 0o755); err != nil {
		t.Fatal(err)
	}
	again := r.install(t, "SPLX_API_KEY="+testToken)
	if again.err != nil || !strings.Contains(again.log, "does not match release/checksums.txt: downloading it again") {
		t.Fatalf("install over a replaced cache: %v\n%s", again.err, again.log)
	}
	if got := runs(t, again.path); got != "genuine build" {
		t.Errorf("after the cache was replaced the binary says %q", got)
	}
	if data, _ := os.ReadFile(cached); !bytes.Equal(data, r.data) {
		t.Error("the replaced cache entry was not replaced by the verified archive")
	}
	if r.downloads.Load() != 2 {
		t.Errorf("%d downloads, want 2 (cold, and after the cache was replaced)", r.downloads.Load())
	}
}

// TestInstallRace: jobs installing into one tool cache at once, with
// RUNNER_TEMP on another filesystem (tmpfs) where there is one, while a
// binary installed earlier runs: all succeed and run the release's bytes
// (no "Text file busy", no missing file).
func TestInstallRace(t *testing.T) {
	t.Parallel()
	r := newRelease(t, "linux", tarGz(t, []entry{{name: "splx-probe", body: "#!/bin/sh\n[ -n \"$HOLD\" ] && read -r _\necho genuine build\n"}}), nil)
	first := r.install(t)
	if first.err != nil {
		t.Fatalf("%v\n%s", first.err, first.log)
	}
	running := exec.Command(first.path)
	running.Env = []string{"HOLD=1"}
	stdin, err := running.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := running.Start(); err != nil {
		t.Fatal(err)
	}
	temp := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		temp = "/dev/shm"
	}
	// Half of the jobs find the cache replaced, so that they write it.
	cached := filepath.Join(r.cache, "splx-probe", installVersion, "amd64", r.archive)
	os.WriteFile(cached, []byte("damaged"), 0o644)
	var wg sync.WaitGroup
	results := make([]install, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			env := []string{}
			if temp != "" {
				dir, err := os.MkdirTemp(temp, "splx-install-test-")
				if err != nil {
					t.Error(err)
					return
				}
				defer os.RemoveAll(dir)
				env = append(env, "RUNNER_TEMP="+dir)
			}
			results[i] = r.install(t, env...)
			if results[i].err == nil {
				out, err := exec.Command(results[i].path).CombinedOutput()
				if err != nil || strings.TrimSpace(string(out)) != "genuine build" {
					t.Errorf("job %d: the installed binary: %v %q", i, err, out)
				}
			}
		}()
	}
	wg.Wait()
	stdin.Close()
	if err := running.Wait(); err != nil {
		t.Errorf("the binary that ran during the installs: %v", err)
	}
	for i, in := range results {
		if in.err != nil {
			t.Errorf("job %d: %v\n%s", i, in.err, in.log)
		}
	}
	if data, _ := os.ReadFile(cached); !bytes.Equal(data, r.data) {
		t.Error("the tool cache does not hold the release's archive after the installs")
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(cached), ".*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left in the tool cache: %v", leftovers)
	}
}

// TestInstallDownloadBounds: a download is bounded in time and size,
// retried a few times, and a failure is one annotation that names
// download-url. The bounds are short here (SPLX_DOWNLOAD_TIMEOUT=1).
func TestInstallDownloadBounds(t *testing.T) {
	t.Parallel()
	archive := tarGz(t, genuine("splx-probe"))
	var flaky atomic.Int64
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		ok       bool
		want     string
		requests int64
	}{
		{"never answers", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
			false, "could not download", 2},
		{"endless answer", func(w http.ResponseWriter, r *http.Request) {
			chunk := make([]byte, 32<<10)
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, false, "answered with more than 65536 bytes", 1},
		{"announced oversized answer", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(2<<30))
			w.WriteHeader(http.StatusOK)
			w.Write(make([]byte, 1024))
		}, false, "answered with more than 65536 bytes", 1},
		{"not found", http.NotFound, false, "could not download", 2},
		{"fails once", func(w http.ResponseWriter, r *http.Request) {
			if flaky.Add(1) == 1 {
				http.Error(w, "busy", http.StatusBadGateway)
				return
			}
			w.Write(archive)
		}, true, "Download attempt 1 of 2 failed", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRelease(t, "linux", archive, tt.handler)
			in := r.install(t, "SPLX_DOWNLOAD_TIMEOUT=1", "SPLX_DOWNLOAD_MAX_BYTES=65536")
			if (in.err == nil) != tt.ok || !strings.Contains(in.log, tt.want) {
				t.Fatalf("install: %v, want success %v and %q\n%s", in.err, tt.ok, tt.want, in.log)
			}
			if got := r.downloads.Load(); got != tt.requests {
				t.Errorf("%d requests, want %d", got, tt.requests)
			}
			if !tt.ok {
				errs := in.errors()
				if len(errs) != 1 || !strings.Contains(errs[0], "download-url") {
					t.Errorf("want one ::error that names download-url, got %q", errs)
				}
			}
		})
	}
}

// TestInstallRefusals: each setup failure and each archive that is not one
// regular splx-probe file ends with one annotation that says what is wrong,
// and nothing is installed.
func TestInstallRefusals(t *testing.T) {
	t.Parallel()
	good := genuine("splx-probe")
	tests := []struct {
		name    string
		goos    string
		entries []entry
		setup   func(t *testing.T, r *release) []string // returns extra environment
		want    string
	}{
		{"no splx-probe", "linux", []entry{{name: "LICENSE", body: "MIT\n"}}, nil, "has no splx-probe"},
		{"symlink", "linux", []entry{{name: "splx-probe", typ: tar.TypeSymlink, link: "/bin/sh"}}, nil, "is not a regular file"},
		{"symlink out of the directory", "linux", []entry{{name: "splx-probe", typ: tar.TypeSymlink, link: "../../splx-elsewhere"}}, nil, "is not a regular file"},
		{"hard link", "linux", []entry{{name: "LICENSE", body: "x"}, {name: "splx-probe", typ: tar.TypeLink, link: "LICENSE"}}, nil, "is not a regular file"},
		{"directory", "linux", []entry{{name: "splx-probe/", typ: tar.TypeDir}, {name: "splx-probe/x", body: "x"}}, nil, "is not a regular file"},
		{"twice", "linux", []entry{good[0], {name: "splx-probe", body: "#!/bin/sh\necho second\n"}}, nil, "holds splx-probe 2 times"},
		{"zip without splx-probe.exe", "windows", []entry{{name: "LICENSE", body: "MIT\n"}}, nil, "has no splx-probe.exe"},
		{"zip symlink", "windows", []entry{{name: "splx-probe.exe", typ: tar.TypeSymlink, link: "/bin/sh"}}, nil, "is not a regular file"},
		{"zip twice", "windows", []entry{genuine("splx-probe.exe")[0], genuine("splx-probe.exe")[0]}, nil, "holds splx-probe.exe 2 times"},
		{"RUNNER_TEMP missing", "linux", good, func(t *testing.T, r *release) []string {
			return []string{"RUNNER_TEMP=" + filepath.Join(t.TempDir(), "gone")}
		}, "(RUNNER_TEMP) is missing or not writable"},
		{"tool cache not writable", "linux", good, func(t *testing.T, r *release) []string {
			file := filepath.Join(t.TempDir(), "file")
			testenv.WriteFile(t, file, "not a directory")
			return []string{"RUNNER_TOOL_CACHE=" + file}
		}, "(RUNNER_TOOL_CACHE) is not writable"},
		{"checksums line twice", "linux", good, func(t *testing.T, r *release) []string {
			sums := filepath.Join(r.dir, "release", "checksums.txt")
			data, _ := os.ReadFile(sums)
			testenv.WriteFile(t, sums, string(data)+string(data))
			return nil
		}, "lists splx-probe_1.2.3_linux_amd64.tar.gz more than once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var data []byte
			if tt.goos == "windows" {
				data = zipOf(t, tt.entries)
			} else {
				data = tarGz(t, tt.entries)
			}
			r := newRelease(t, tt.goos, data, nil)
			var env []string
			if tt.setup != nil {
				env = tt.setup(t, r)
			}
			in := r.install(t, env...)
			if in.err == nil {
				t.Fatalf("installed %s:\n%s", in.path, in.log)
			}
			errs := in.errors()
			if len(errs) != 1 || !strings.Contains(errs[0], tt.want) || strings.Contains(errs[0], "altered") {
				t.Errorf("want one ::error saying %q, got %q\n%s", tt.want, errs, in.log)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(r.cache), "splx-elsewhere")); err == nil {
				t.Error("a link in the archive made the installer write outside its directory")
			}
		})
	}
}
