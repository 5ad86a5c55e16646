package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// The container test runs what users run, the way they run it: the
// released image as a GitLab job image, a CircleCI image and a plain docker
// run (pulled from a registry on 127.0.0.1), both actions under act in
// container mode (the composite action downloading from a stand-in for the
// release host, the Docker action pulling the image by digest), and the
// top-level Dockerfile built from source. It needs root, Debian's docker.io,
// busybox-static, bash-static, act, crane and a GoReleaser snapshot (.ci/run
// provides them), so it runs only when SPLX_E2E_CONTAINERS=1; then any
// missing piece fails it, never skips.
func TestContainers(t *testing.T) {
	if os.Getenv("SPLX_E2E_CONTAINERS") != "1" {
		t.Skip("set SPLX_E2E_CONTAINERS=1 to run the images and actions under Docker and act (.ci/run does)")
	}
	dist, version := releaseDist(t)
	d := startDocker(t)
	d.standInBaseImages(t)
	d.runnerImage(t)

	t.Run("image from source", func(t *testing.T) {
		start := time.Now()
		d.run(t, "build", "--network", "host", "--build-arg", "VERSION=e2e", "-t", "splx-probe:e2e", ".")
		t.Logf("source image built in %s", time.Since(start).Round(time.Millisecond))
		api := testenv.NewAPI(t)
		out, code := d.try(t, "run", "--rm", "--network", "host",
			"-e", "SPLX_API_KEY="+testToken, "-e", "SPLX_API_URL="+api.URL,
			"splx-probe:e2e", "--target-id", "42", "--probe-ids", "1,2,3")
		if code != 0 || !strings.Contains(out, "Test run 1001 on target 42") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})

	registry := startRegistry(t)
	image := d.releaseImage(t, dist, version, registry)
	size := strings.TrimSpace(d.run(t, "image", "inspect", "-f", "{{.Size}}", image))
	var bytesN int64
	fmt.Sscan(size, &bytesN)
	t.Logf("released image %s: %.1f MB", image, float64(bytesN)/1e6)
	if bytesN <= 0 || bytesN > 20e6 {
		t.Errorf("image is %d bytes, want under 20 MB", bytesN)
	}
	if user := strings.TrimSpace(d.run(t, "image", "inspect", "-f", "{{.Config.User}}", image)); user != "root" {
		t.Errorf("the image runs as %q; GitHub needs root to write its file commands", user)
	}

	t.Run("plain docker run", func(t *testing.T) {
		api := testenv.NewAPI(t)
		out, code := d.try(t, "run", "--rm", "--network", "host",
			"-e", "SPLX_API_KEY="+testToken, "-e", "SPLX_API_URL="+api.URL,
			image, "--target-id", "42", "--probe-ids", "1,2,3")
		if code != 0 || !strings.Contains(out, "Test run 1001 on target 42") {
			t.Errorf("exit %d:\n%s", code, out)
		}
		if strings.Contains(out, "::") || strings.Contains(out, testToken) {
			t.Errorf("plain run printed a workflow command or the token:\n%s", out)
		}
	})

	t.Run("gitlab job image", func(t *testing.T) {
		api := testenv.NewAPI(t, fakeapi.WithSteps(1))
		dir := t.TempDir()
		script := `splx-probe; code=$?; echo "exit=$code"; cat splx-probe.env; exit $code`
		out, code := d.try(t, "run", "--rm", "--network", "host", "--entrypoint", "",
			"-v", dir+":/builds/acme/bot", "-w", "/builds/acme/bot",
			"-e", "GITLAB_CI=true", "-e", "CI_PROJECT_PATH=acme/bot", "-e", "CI_COMMIT_SHORT_SHA=abc1234", "-e", "CI_PIPELINE_IID=9",
			"-e", "SPLX_API_KEY="+testToken, "-e", "SPLX_API_URL="+api.URL, "-e", "SPLX_TARGET_ID=42", "-e", "SPLX_PROBE_IDS=1,3",
			"-e", "SPLX_WAIT=true", "-e", "SPLX_POLL_INTERVAL=1s", "-e", "SPLX_MAX_FAILED=5", "-e", "SPLX_JUNIT_PATH=splx-junit.xml",
			image, "sh", "-c", script)
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		env, err := os.ReadFile(filepath.Join(dir, "splx-probe.env"))
		if err != nil {
			t.Fatal(err)
		}
		want := "SPLX_TEST_RUN_ID=1001\nSPLX_STATUS=FINISHED\nSPLX_RESULT=passed\nSPLX_TOTAL=225\nSPLX_PASSED=222\nSPLX_FAILED=3\nSPLX_ERRORS=0\nSPLX_JUNIT_PATH=splx-junit.xml\n"
		if string(env) != want {
			t.Errorf("dotenv:\n%s\nwant:\n%s", env, want)
		}
		if !strings.Contains(out, "section_start:") || strings.Contains(out, "::add-mask::") {
			t.Errorf("GitLab log lacks sections or prints a mask command:\n%s", out)
		}
	})

	t.Run("circleci image", func(t *testing.T) {
		api := testenv.NewAPI(t)
		// CircleCI runs steps with /bin/sh here (no bash): a later step
		// sources $BASH_ENV itself, as the README shows.
		script := `splx-probe || exit $?; . "$BASH_ENV"; echo "later step sees run $SPLX_TEST_RUN_ID"`
		out, code := d.try(t, "run", "--rm", "--network", "host", "--entrypoint", "",
			"-e", "CIRCLECI=true", "-e", "BASH_ENV=/tmp/bash_env",
			"-e", "SPLX_API_KEY="+testToken, "-e", "SPLX_API_URL="+api.URL, "-e", "SPLX_TARGET_ID=42", "-e", "SPLX_PROBE_IDS=2",
			image, "sh", "-c", script)
		if code != 0 || !strings.Contains(out, "later step sees run 1001") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})

	t.Run("actions under act", func(t *testing.T) {
		d.actions(t, dist, version, image)
	})

	// The action before the release path: a Docker action built from the
	// Dockerfile in every job. Opt-in: it is a measurement for BENCHMARKS.md.
	t.Run("dockerfile action, cold build", func(t *testing.T) {
		if os.Getenv("SPLX_BENCH_DELIVERY") != "1" {
			t.Skip("set SPLX_BENCH_DELIVERY=1 to measure the Dockerfile action for BENCHMARKS.md")
		}
		d.dockerfileAction(t)
	})
}

// docker is a Docker engine started by the test on a private socket.
type docker struct {
	host string
	env  []string
}

// startDocker starts dockerd with the vfs driver, host networking only. The
// data root is kept between runs (in the user cache) so that base images,
// modules and layers are cached.
func startDocker(t *testing.T) *docker {
	t.Helper()
	if _, err := exec.LookPath("dockerd"); err != nil {
		t.Fatal("dockerd not found: install Debian's docker.io (.ci/run does)")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dataRoot := filepath.Join(cache, "splx-probe-e2e", "docker")
	run, err := os.MkdirTemp("", "splx-e2e")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(run) })
	sock := filepath.Join(run, "docker.sock")
	logf, err := os.Create(filepath.Join(run, "dockerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("dockerd", "--storage-driver=vfs",
		"--host", "unix://"+sock, "--data-root", dataRoot, "--exec-root", filepath.Join(run, "exec"),
		"--pidfile", filepath.Join(run, "docker.pid"), "--bridge=none", "--iptables=false", "--ip6tables=false")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dockerd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	d := &docker{host: "unix://" + sock}
	d.env = append(os.Environ(), "DOCKER_HOST="+d.host, "DOCKER_BUILDKIT=0")
	for deadline := time.Now().Add(60 * time.Second); ; {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			if _, code := d.try(t, "version"); code == 0 {
				return d
			}
		}
		if time.Now().After(deadline) {
			data, _ := os.ReadFile(filepath.Join(run, "dockerd.log"))
			t.Fatalf("the Docker engine did not start within 60s:\n%s", data)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// try runs a docker command and returns its combined output and exit code.
func (d *docker) try(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Env = d.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return out.String(), ee.ExitCode()
		}
		t.Fatalf("docker %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), 0
}

// run is try that fails the test on a non-zero exit.
func (d *docker) run(t *testing.T, args ...string) string {
	t.Helper()
	out, code := d.try(t, args...)
	if code != 0 {
		t.Fatalf("docker %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// standInBaseImages builds local images under the names the Dockerfiles'
// FROM lines use, since no registry can be reached: busybox root file
// systems, with Debian's CA bundle for alpine (the release image's certs
// stage) and with the local Go toolchain too for golang (the source build).
func (d *docker) standInBaseImages(t *testing.T) {
	t.Helper()
	var froms []string
	for _, file := range []string{"Dockerfile", "Dockerfile.release"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && strings.EqualFold(f[0], "FROM") {
				froms = append(froms, f[1])
			}
		}
	}
	goVersion := strings.TrimSpace(mustOutput(t, "go", "env", "GOVERSION"))
	for _, name := range froms {
		var img standIn
		switch {
		case strings.HasPrefix(name, "busybox:"):
			img = standIn{name: name, changes: []string{`CMD ["sh"]`}}
		case strings.HasPrefix(name, "alpine:"):
			img = standIn{name: name, certs: true, changes: []string{`CMD ["sh"]`}}
		case strings.HasPrefix(name, "golang:"):
			img = standIn{name: name, certs: true, withGo: true, changes: []string{"ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "ENV GOPATH=/go", "WORKDIR /go"}}
		default:
			t.Fatalf("no stand-in for the base image %s", name)
		}
		d.importRoot(t, img, goVersion)
	}
}

// standIn describes a local image that stands in for a base image.
type standIn struct {
	name          string
	certs, withGo bool
	// curl adds curl and its libraries; bash a static bash.
	curl, bash bool
	changes    []string
}

// importRoot builds a busybox root file system as img describes and
// imports it, unless an image built for the same label is there already.
func (d *docker) importRoot(t *testing.T, img standIn, label string) {
	t.Helper()
	label = fmt.Sprintf("%s certs=%v go=%v curl=%v bash=%v", label, img.certs, img.withGo, img.curl, img.bash)
	if out, _ := d.try(t, "image", "inspect", "-f", `{{index .Config.Labels "splx-stand-in"}}`, img.name); strings.TrimSpace(out) == label {
		return // cached from an earlier run
	}
	root := t.TempDir()
	for _, dir := range []string{"bin", "etc/ssl/certs", "tmp", "root", "go", "usr/bin", "usr/local/bin"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(root, "tmp"), 0o1777)
	copyFile(t, "/bin/busybox", filepath.Join(root, "bin/busybox"), 0o755)
	for _, applet := range strings.Fields(mustOutput(t, "/bin/busybox", "--list")) {
		if applet != "busybox" {
			_ = os.Symlink("busybox", filepath.Join(root, "bin", applet))
		}
	}
	_ = os.Symlink("/bin/env", filepath.Join(root, "usr/bin/env"))
	testenv.WriteFile(t, filepath.Join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")
	testenv.WriteFile(t, filepath.Join(root, "etc/group"), "root:x:0:\n")
	if img.certs {
		copyFile(t, "/etc/ssl/certs/ca-certificates.crt", filepath.Join(root, "etc/ssl/certs/ca-certificates.crt"), 0o644)
	}
	if img.withGo {
		copyTree(t, strings.TrimSpace(mustOutput(t, "go", "env", "GOROOT")), filepath.Join(root, "usr/local/go"))
	}
	if img.bash {
		os.Remove(filepath.Join(root, "bin/bash"))
		copyFile(t, "/bin/bash-static", filepath.Join(root, "bin/bash"), 0o755)
	}
	if img.curl {
		copyFile(t, "/usr/bin/curl", filepath.Join(root, "usr/bin/curl"), 0o755)
		for _, lib := range strings.Fields(mustOutput(t, "ldd", "/usr/bin/curl")) {
			if strings.HasPrefix(lib, "/") {
				copyFile(t, lib, filepath.Join(root, lib), 0o755)
			}
		}
	}
	args := []string{"import"}
	for _, c := range append(img.changes, "LABEL splx-stand-in="+label) {
		args = append(args, "--change", c)
	}
	args = append(args, "-", img.name)
	tarCmd := exec.Command("tar", "-C", root, "-c", ".")
	imp := exec.Command("docker", args...)
	imp.Env = d.env
	pipe, err := tarCmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	imp.Stdin = pipe
	var out bytes.Buffer
	imp.Stdout, imp.Stderr = &out, &out
	if err := tarCmd.Start(); err != nil {
		t.Fatal(err)
	}
	if err := imp.Run(); err != nil {
		t.Fatalf("docker import %s: %v\n%s", img.name, err, out.String())
	}
	if err := tarCmd.Wait(); err != nil {
		t.Fatalf("tar: %v", err)
	}
}

// runnerImage is the job container for act's container mode: what a GitHub
// runner has that the action uses (bash, curl, coreutils, CA certificates),
// and a place for the host's Go toolchain, mounted for build-from-source.
func (d *docker) runnerImage(t *testing.T) {
	t.Helper()
	_ = os.MkdirAll("/usr/local/go", 0o755)
	d.importRoot(t, standIn{name: "splx-runner:e2e", certs: true, curl: true, bash: true,
		changes: []string{`CMD ["sh"]`, "ENV PATH=/usr/local/go/bin:/usr/local/bin:/usr/bin:/bin"}}, "runner")
}

// startRegistry serves an image registry on 127.0.0.1 (crane registry
// serve) and returns its host:port.
func startRegistry(t *testing.T) string {
	t.Helper()
	crane, err := exec.LookPath("crane")
	if err != nil {
		t.Fatal("crane not found: go install github.com/google/go-containerregistry/cmd/crane@v0.22.1 (.ci/run does)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(crane, "registry", "serve", "--address", addr)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for deadline := time.Now().Add(30 * time.Second); ; {
		if resp, err := http.Get("http://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("the registry did not start:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// releaseImage builds Dockerfile.release around the snapshot's linux
// binary for this machine, the way GoReleaser lays out its build context
// ($TARGETPLATFORM/splx-probe), pushes it to the registry and returns it by
// tag and digest, removed from the local engine so that users pull it.
func (d *docker) releaseImage(t *testing.T, dist, version, registry string) string {
	t.Helper()
	platform := "linux/" + runtime.GOARCH
	bin := filepath.Join(dist, "splx-probe_linux_"+runtime.GOARCH+"_v1", "splx-probe")
	if runtime.GOARCH == "arm64" {
		bin = filepath.Join(dist, "splx-probe_linux_arm64_v8.0", "splx-probe")
	}
	ctx := t.TempDir()
	copyFile(t, bin, filepath.Join(ctx, platform, "splx-probe"), 0o755)
	copyFile(t, "Dockerfile.release", filepath.Join(ctx, "Dockerfile"), 0o644)
	tag := registry + "/splx-ai/splx-probe-action:" + version
	start := time.Now()
	d.run(t, "build", "--build-arg", "TARGETPLATFORM="+platform, "-t", tag, ctx)
	t.Logf("release image built in %s (no compiler: it only copies the binary)", time.Since(start).Round(time.Millisecond))
	d.run(t, "push", tag)
	digest := strings.TrimSpace(mustOutput(t, "crane", "digest", tag))
	if !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("crane digest %s: %q", tag, digest)
	}
	d.run(t, "rmi", tag)
	ref := tag + "@" + digest
	d.run(t, "pull", ref)
	return ref
}

// mirror serves release archives the way GitHub's release downloads do
// ({base}/v{version}/{archive}), from 127.0.0.1, counting the downloads.
type mirror struct {
	URL       string
	downloads atomic.Int64
}

func startMirror(t *testing.T, dir string) *mirror {
	t.Helper()
	m := &mirror{}
	files := http.FileServer(http.Dir(dir))
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.downloads.Add(1)
		files.ServeHTTP(w, r)
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	m.URL = "http://" + l.Addr().String()
	return m
}

// actions runs both actions the way a GitHub runner does, with act in
// container mode (where step outputs reach later steps), and reads their
// outputs in a later step. It measures step start (a request the step
// before sends to the fake API) to the first API request.
func (d *docker) actions(t *testing.T, dist, version, image string) {
	actBin, err := exec.LookPath("act")
	if err != nil {
		t.Fatal("act not found: go install github.com/nektos/act@v0.2.89 (.ci/run does)")
	}
	// The release host: the snapshot's archives, and a tampered copy.
	hosted := t.TempDir()
	sums := readChecksums(t, filepath.Join(dist, "checksums.txt"))
	for name := range sums {
		copyFile(t, filepath.Join(dist, name), filepath.Join(hosted, "good", "v"+version, name), 0o644)
		data, _ := os.ReadFile(filepath.Join(dist, name))
		testenv.WriteFile(t, filepath.Join(hosted, "tampered", "v"+version, name), string(append(data, "tampered"...)))
	}
	// The release chain's own build, served like the release host: the
	// action at @v1 (resolved in the chain's origin) installs from it.
	chain := releaseChain(t)
	chainSums := readChecksums(t, filepath.Join(chain.dist, "checksums.txt"))
	for name := range chainSums {
		copyFile(t, filepath.Join(chain.dist, name), filepath.Join(hosted, "chain", "v"+chain.version, name), 0o644)
	}
	atV1 := filepath.Join(t.TempDir(), "action")
	mustGit(t, ".", "clone", "-q", "--branch", "v1", chain.origin, atV1)
	caller := t.TempDir()
	mirror := startMirror(t, hosted)

	// The action as a release commit has it, and as a branch (no release/).
	repo := func(release bool) string {
		dir := t.TempDir()
		for _, f := range []string{"action.yml", "action/install.sh", "docker/action.yml", "go.mod", "go.sum", "main.go"} {
			copyFile(t, f, filepath.Join(dir, f), 0o644)
		}
		copyTree(t, "internal", filepath.Join(dir, "internal"))
		if release {
			testenv.WriteFile(t, filepath.Join(dir, "release", "version"), version+"\n")
			copyFile(t, filepath.Join(dist, "checksums.txt"), filepath.Join(dir, "release", "checksums.txt"), 0o644)
			docker, _ := os.ReadFile("docker/action.yml")
			pinned := strings.Replace(string(docker), "docker://ghcr.io/splx-ai/splx-probe-action:1", "docker://"+image, 1)
			testenv.WriteFile(t, filepath.Join(dir, "docker", "action.yml"), pinned)
		}
		return dir
	}
	released, branch := repo(true), repo(false)
	gomodcache := strings.TrimSpace(mustOutput(t, "go", "env", "GOMODCACHE"))
	gocache := strings.TrimSpace(mustOutput(t, "go", "env", "GOCACHE"))
	goroot := strings.TrimSpace(mustOutput(t, "go", "env", "GOROOT"))
	// act serves the Actions cache itself (on 127.0.0.1 here), but must
	// fetch actions/cache from GitHub, which is unreachable: the pinned ref
	// is mapped to a stand-in that speaks act's cache protocol.
	pinned := regexp.MustCompile(`uses: actions/cache/restore@([0-9a-f]{40})`).FindStringSubmatch(string(testenv.Must(os.ReadFile("action.yml"))))
	if pinned == nil {
		t.Fatal("action.yml pins no actions/cache/restore")
	}
	standIn, _ := filepath.Abs("e2e/testdata/act/actions-cache")
	cacheServer := t.TempDir()
	act := func(t *testing.T, dir string, extra ...string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, actBin, append([]string{"push", "-W", ".github/workflows/red-team.yml",
			"-P", "ubuntu-latest=splx-runner:e2e", "--pull=false",
			"--container-options", "--network host -v " + goroot + ":/usr/local/go:ro -v " + gomodcache + ":/gomodcache:ro -v " + gocache + ":/gocache",
			"--env", "GOMODCACHE=/gomodcache", "--env", "GOCACHE=/gocache", "--env", "GOPROXY=off", "--env", "GOFLAGS=-mod=mod", "--env", "GOTOOLCHAIN=local",
			"--local-repository", "actions/cache@" + pinned[1] + "=" + standIn,
			"--cache-server-addr", "127.0.0.1", "--cache-server-path", cacheServer,
			"-s", "SPLX_API_KEY=" + testToken}, extra...)...)
		cmd.Dir = dir
		cmd.Env = d.env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	tests := []struct {
		name     string
		repo     string
		download string
		uses     string
		ok       bool
		triggers int
		want     []string
		act      []string // more act arguments
	}{
		{"released, cold then warm", released, mirror.URL + "/good", "./", true, 2,
			[]string{"Installed splx-probe " + version, "from the tool cache", "later step: result=passed id=1001 second=1002 status=triggered"}, nil},
		{"tampered download", released, mirror.URL + "/tampered", "./", false, 0,
			[]string{"checksum mismatch for splx-probe_" + version + "_linux_", "nothing was run"}, nil},
		{"build from source", branch, "", "./", true, 2,
			[]string{"no release files (release/version): building from source", "later step: result=passed id=1001 second=1002 status=triggered"}, nil},
		{"docker action", released, "", "./docker", true, 2,
			[]string{"later step: result=passed id=1001 second=1002 status=triggered"}, nil},
		{"@v1 of the release chain", caller, mirror.URL + "/chain", "splx-ai/splx-probe-action@v1", true, 2,
			[]string{"Installed splx-probe " + chain.version + " (linux/", "later step: result=passed id=1001 second=1002 status=triggered"},
			[]string{"--local-repository", "splx-ai/splx-probe-action@v1=" + atV1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := testenv.NewAPI(t, fakeapi.WithSteps(1))
			with := func(extra string) string {
				w := fmt.Sprintf("          api-key: ${{ secrets.SPLX_API_KEY }}\n          api-url: %s\n          target-id: 42\n          probe-ids: 1, 2, 3\n%s", api.URL, extra)
				if tt.download != "" {
					w += "          download-url: " + tt.download + "\n"
				}
				return w
			}
			workflow := fmt.Sprintf(`on: push
jobs:
  red-team:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - run: curl -fsS -o /dev/null %[1]s/mark/first || true
      - uses: %[2]s
        id: splx
        with:
%[3]s      - run: curl -fsS -o /dev/null %[1]s/mark/second || true
      - uses: %[2]s
        id: again
        with:
%[4]s      - env:
          RESULT: ${{ steps.splx.outputs.result }}
          ID: ${{ steps.splx.outputs.test-run-id }}
          SECOND: ${{ steps.again.outputs.test-run-id }}
          STATUS: ${{ steps.again.outputs.status }}
        run: 'echo "later step: result=$RESULT id=$ID second=$SECOND status=$STATUS"'
`, api.URL, tt.uses, with("          wait: true\n          poll-interval: 1s\n          max-failed: 10\n"), with(""))
			testenv.WriteFile(t, filepath.Join(tt.repo, ".github/workflows/red-team.yml"), workflow)
			mustGit(t, tt.repo, "init", "-q")
			mustGit(t, tt.repo, "add", "-A")
			mustGit(t, tt.repo, "commit", "-qm", "e2e", "--allow-empty")
			// A cold start: act keeps the runner's tool cache in a volume.
			d.coldToolCache(t)
			downloads := mirror.downloads.Load()
			log, err := act(t, tt.repo, tt.act...)
			if (err == nil) != tt.ok {
				t.Errorf("act: %v, want success %v\n%s", err, tt.ok, log)
			}
			for _, w := range tt.want {
				if !strings.Contains(log, w) {
					t.Errorf("act log lacks %q\n%s", w, log)
				}
			}
			if strings.Contains(log, testToken) {
				t.Error("act log contains the token")
			}
			if got := api.Count(fakeapi.OpTrigger); got != tt.triggers {
				t.Errorf("%d triggers, want %d", got, tt.triggers)
			}
			if tt.download != "" && tt.ok {
				if n := mirror.downloads.Load() - downloads; n != 1 {
					t.Errorf("%d downloads, want 1 (the second step uses the tool cache)", n)
				}
			}
			if tt.ok {
				first, second := startToRequest(api, "/mark/first", 0), startToRequest(api, "/mark/second", 0)
				t.Logf("step start to first API request: %s (first step), %s (second step)", first.Round(time.Millisecond), second.Round(time.Millisecond))
			}
		})
	}

	// "Re-run jobs": attempt 1 triggers and fails the gate; attempt 2 of the
	// same workflow run restores the record through the action's own cache
	// steps and re-attaches instead of paying again.
	t.Run("re-run re-attaches", func(t *testing.T) {
		api := testenv.NewAPI(t, fakeapi.WithSteps(1))
		workflow := fmt.Sprintf(`on: push
jobs:
  red-team:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: ./
        id: splx
        with:
          api-key: ${{ secrets.SPLX_API_KEY }}
          api-url: %s
          download-url: %s
          target-id: 42
          probe-ids: 1, 2, 3
          wait: true
          poll-interval: 1s
      - if: always()
        env:
          RESULT: ${{ steps.splx.outputs.result }}
          ID: ${{ steps.splx.outputs.test-run-id }}
        run: 'echo "later step: result=$RESULT id=$ID"'
`, api.URL, mirror.URL+"/good")
		testenv.WriteFile(t, filepath.Join(released, ".github/workflows/red-team.yml"), workflow)
		mustGit(t, released, "init", "-q")
		mustGit(t, released, "add", "-A")
		mustGit(t, released, "commit", "-qm", "re-run", "--allow-empty")
		for _, attempt := range []struct {
			n    string
			want []string
		}{
			{"1", []string{"Test run 1001 on target 42", "Cache saved with key: splx-probe-state-777-", "later step: result=failed id=1001"}},
			{"2", []string{"Cache restored from key: splx-probe-state-777-", "Re-attaching to test run 1001, triggered by attempt 1 of this workflow run: no credits spent", "later step: result=failed id=1001"}},
		} {
			log, err := act(t, released, "--env", "GITHUB_RUN_ID=777", "--env", "GITHUB_RUN_ATTEMPT="+attempt.n)
			if err == nil {
				t.Errorf("attempt %s: act succeeded, want the job failed by the gate\n%s", attempt.n, log)
			}
			for _, w := range attempt.want {
				if !strings.Contains(log, w) {
					t.Errorf("attempt %s: act log lacks %q\n%s", attempt.n, w, log)
				}
			}
			if strings.Contains(log, testToken) {
				t.Error("act log contains the token")
			}
			if n := api.Count(fakeapi.OpTrigger); n != 1 {
				t.Errorf("after attempt %s: %d triggers, want 1", attempt.n, n)
			}
		}
	})
}

// dockerfileAction measures the action as it was before releases: a
// Docker action whose image: is the Dockerfile, which GitHub builds in every
// job. The cold build (no layer cache; base images present, as stand-ins)
// is timed with docker build, because act builds without a network here;
// act then runs that image, the part of the job that follows the build.
func (d *docker) dockerfileAction(t *testing.T) {
	actBin, err := exec.LookPath("act")
	if err != nil {
		t.Fatal("act not found")
	}
	d.try(t, "builder", "prune", "-af")
	start := time.Now()
	d.run(t, "build", "--no-cache", "--network", "host", "-t", "splx-probe:cold", ".")
	build := time.Since(start)

	api := testenv.NewAPI(t, fakeapi.WithSteps(1))
	repo := t.TempDir()
	for _, f := range []string{"Dockerfile", ".dockerignore", "go.mod", "go.sum", "main.go"} {
		copyFile(t, f, filepath.Join(repo, f), 0o644)
	}
	copyTree(t, "internal", filepath.Join(repo, "internal"))
	docker, _ := os.ReadFile("docker/action.yml")
	testenv.WriteFile(t, filepath.Join(repo, "action.yml"), strings.Replace(string(docker), "docker://ghcr.io/splx-ai/splx-probe-action:1", "docker://splx-probe:cold", 1))
	testenv.WriteFile(t, filepath.Join(repo, ".github/workflows/red-team.yml"), fmt.Sprintf(`on: push
jobs:
  red-team:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - run: curl -fsS -o /dev/null %[1]s/mark/first || true
      - uses: ./
        with:
          api-key: ${{ secrets.SPLX_API_KEY }}
          api-url: %[1]s
          target-id: 42
          probe-ids: 1, 2, 3
`, api.URL))
	mustGit(t, repo, "init", "-q")
	mustGit(t, repo, "add", "-A")
	mustGit(t, repo, "commit", "-qm", "e2e")
	cmd := exec.Command(actBin, "push", "-P", "ubuntu-latest=splx-runner:e2e", "--pull=false",
		"--container-options", "--network host", "-s", "SPLX_API_KEY="+testToken)
	cmd.Dir, cmd.Env = repo, d.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("act: %v\n%s", err, out)
	}
	run := startToRequest(api, "/mark/first", 0)
	t.Logf("dockerfile action: cold image build %s, then step start to first API request with the image built %s: %s in all",
		build.Round(time.Millisecond), run.Round(time.Millisecond), (build + run).Round(time.Millisecond))
}

// coldToolCache removes the volume in which act keeps the runner's tool
// cache, and any container left holding it.
func (d *docker) coldToolCache(t *testing.T) {
	t.Helper()
	for _, id := range strings.Fields(d.run(t, "ps", "-aq", "--filter", "volume=act-toolcache")) {
		d.run(t, "rm", "-f", id)
	}
	if out, code := d.try(t, "volume", "rm", "-f", "act-toolcache"); code != 0 {
		t.Fatalf("cannot empty the tool cache: %s", out)
	}
}

// startToRequest is the time from the mark request to the n-th trigger
// that followed it.
func startToRequest(api *fakeapi.Server, mark string, n int) time.Duration {
	var marked time.Time
	seen := 0
	for _, r := range api.Requests() {
		switch {
		case r.Path == mark:
			marked = r.Received
		case !marked.IsZero() && r.Method == http.MethodPost:
			if seen == n {
				return r.Received.Sub(marked)
			}
			seen++
		}
	}
	return -1
}

func mustOutput(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return string(out)
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, mode); err != nil {
		t.Fatal(err)
	}
}

// copyTree copies a directory, leaving out tests and test data (a Go
// toolchain for building needs neither).
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if e.IsDir() && (e.Name() == "testdata" || rel == "test" || rel == "api" || rel == "doc" || rel == filepath.Join("src", "cmd")) {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, "_test.go") {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		dst := filepath.Join(to, rel)
		switch {
		case e.IsDir():
			return os.MkdirAll(dst, 0o755)
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}
