package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/probetest"
)

// The container test builds the image from the real Dockerfile and runs it
// the ways users do: as a GitHub action under act, as a GitLab job image, as
// a CircleCI image and with a plain docker run. It needs root, Debian's
// docker.io, busybox-static and act (.ci/run installs them), so it runs only
// when SPLX_E2E_CONTAINERS=1; then any missing piece fails it, never skips.
func TestContainers(t *testing.T) {
	if os.Getenv("SPLX_E2E_CONTAINERS") != "1" {
		t.Skip("set SPLX_E2E_CONTAINERS=1 to build the image and run it under Docker and act (.ci/run does)")
	}
	d := startDocker(t)
	d.standInBaseImages(t)

	start := time.Now()
	d.run(t, "build", "--network", "host", "--build-arg", "VERSION=e2e", "-t", "splx-probe:e2e", ".")
	t.Logf("image built in %s", time.Since(start).Round(time.Millisecond))
	size := strings.TrimSpace(d.run(t, "image", "inspect", "-f", "{{.Size}}", "splx-probe:e2e"))
	var bytesN int64
	fmt.Sscan(size, &bytesN)
	t.Logf("image size: %.1f MB", float64(bytesN)/1e6)
	if bytesN <= 0 || bytesN > 20e6 {
		t.Errorf("image is %d bytes, want under 20 MB", bytesN)
	}

	t.Run("plain docker run", func(t *testing.T) {
		api := newAPI(t)
		out, code := d.try(t, "run", "--rm", "--network", "host",
			"-e", "SPLX_API_KEY="+testToken, "-e", "SPLX_API_URL="+api.URL,
			"splx-probe:e2e", "--target-id", "42", "--probe-ids", "1,2,3")
		if code != 0 || !strings.Contains(out, "Test run 1001 on target 42") {
			t.Errorf("exit %d:\n%s", code, out)
		}
		if strings.Contains(out, "::") || strings.Contains(out, testToken) {
			t.Errorf("plain run printed a workflow command or the token:\n%s", out)
		}
	})

	t.Run("gitlab job image", func(t *testing.T) {
		api := newAPI(t, probetest.WithSteps(1))
		dir := t.TempDir()
		script := `splx-probe; code=$?; echo "exit=$code"; cat splx-probe.env; exit $code`
		out, code := d.try(t, "run", "--rm", "--network", "host", "--entrypoint", "",
			"-v", dir+":/builds/acme/bot", "-w", "/builds/acme/bot",
			"-e", "GITLAB_CI=true", "-e", "CI_PROJECT_PATH=acme/bot", "-e", "CI_COMMIT_SHORT_SHA=abc1234", "-e", "CI_PIPELINE_IID=9",
			"-e", "SPLX_API_KEY="+testToken, "-e", "SPLX_API_URL="+api.URL, "-e", "SPLX_TARGET_ID=42", "-e", "SPLX_PROBE_IDS=1,3",
			"-e", "SPLX_WAIT=true", "-e", "SPLX_POLL_INTERVAL=1s", "-e", "SPLX_MAX_FAILED=5", "-e", "SPLX_JUNIT_PATH=splx-junit.xml",
			"splx-probe:e2e", "sh", "-c", script)
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
		if _, err := os.Stat(filepath.Join(dir, "splx-junit.xml")); err != nil {
			t.Errorf("JUnit report: %v", err)
		}
		if !strings.Contains(out, "section_start:") || strings.Contains(out, "::add-mask::") {
			t.Errorf("GitLab log lacks sections or prints a mask command:\n%s", out)
		}
		if got := api.Requests()[0].Body; !strings.Contains(got, `"name":"acme/bot@abc1234 #9"`) {
			t.Errorf("run name from GitLab's context: %s", got)
		}
	})

	t.Run("circleci image", func(t *testing.T) {
		api := newAPI(t)
		script := `splx-probe || exit $?; . "$BASH_ENV"; echo "later step sees run $SPLX_TEST_RUN_ID"`
		out, code := d.try(t, "run", "--rm", "--network", "host", "--entrypoint", "",
			"-e", "CIRCLECI=true", "-e", "BASH_ENV=/tmp/bash_env",
			"-e", "SPLX_API_KEY="+testToken, "-e", "SPLX_API_URL="+api.URL, "-e", "SPLX_TARGET_ID=42", "-e", "SPLX_PROBE_IDS=2",
			"splx-probe:e2e", "sh", "-c", script)
		if code != 0 || !strings.Contains(out, "later step sees run 1001") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})

	t.Run("github action under act", func(t *testing.T) {
		d.act(t)
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

// standInBaseImages builds local images under the names the Dockerfile's
// FROM lines use, since no registry can be reached: a busybox root file
// system for the final stage, plus the local Go toolchain and Debian's CA
// bundle for the build stage.
func (d *docker) standInBaseImages(t *testing.T) {
	t.Helper()
	dockerfile, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var froms []string
	for _, l := range strings.Split(string(dockerfile), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && strings.EqualFold(f[0], "FROM") {
			froms = append(froms, f[1])
		}
	}
	if len(froms) != 2 || !strings.HasPrefix(froms[0], "golang:") || !strings.HasPrefix(froms[1], "busybox:") {
		t.Fatalf("the stand-ins expect FROM golang:… and FROM busybox:…, the Dockerfile has %v", froms)
	}
	goroot := strings.TrimSpace(mustOutput(t, "go", "env", "GOROOT"))
	goVersion := strings.TrimSpace(mustOutput(t, "go", "env", "GOVERSION"))
	for _, img := range []struct {
		name    string
		withGo  bool
		changes []string
	}{
		{froms[1], false, []string{`CMD ["sh"]`}},
		{froms[0], true, []string{"ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "ENV GOPATH=/go", "WORKDIR /go"}},
	} {
		label := "splx-stand-in=" + goVersion
		if out, _ := d.try(t, "image", "inspect", "-f", `{{index .Config.Labels "splx-stand-in"}}`, img.name); strings.TrimSpace(out) == goVersion {
			continue // cached from an earlier run
		}
		root := t.TempDir()
		for _, dir := range []string{"bin", "etc/ssl/certs", "tmp", "root", "go"} {
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
		writeFile(t, filepath.Join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")
		writeFile(t, filepath.Join(root, "etc/group"), "root:x:0:\n")
		if img.withGo {
			copyFile(t, "/etc/ssl/certs/ca-certificates.crt", filepath.Join(root, "etc/ssl/certs/ca-certificates.crt"), 0o644)
			copyTree(t, goroot, filepath.Join(root, "usr/local/go"))
		}
		args := []string{"import"}
		for _, c := range append(img.changes, "LABEL "+label) {
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
}

// act runs the action the way GitHub does, with act in self-hosted mode:
// a workflow that uses ./ with inputs, against the fake API on loopback,
// once with a good token and once with a bad one.
func (d *docker) act(t *testing.T) {
	actBin, err := exec.LookPath("act")
	if err != nil {
		t.Fatal("act not found: go install github.com/nektos/act@v0.2.89 (.ci/run does)")
	}
	api := newAPI(t, probetest.WithSteps(1))
	repo := t.TempDir()
	for _, f := range []string{"action.yml", "Dockerfile", ".dockerignore", "go.mod", "go.sum", "main.go"} {
		copyFile(t, f, filepath.Join(repo, f), 0o644)
	}
	copyTree(t, "internal", filepath.Join(repo, "internal"))
	// act's self-hosted mode runs steps in its own workspace: the first
	// step brings the action's files there so that uses: ./ finds them.
	workflow := fmt.Sprintf(`on: push
jobs:
  red-team:
    runs-on: ubuntu-latest
    steps:
      - run: cp -a %s/. .
      - uses: ./
        id: splx
        with:
          api-key: ${{ secrets.SPLX_API_KEY }}
          api-url: %s
          target-id: 42
          probe-ids: 1, 2, 3
          wait: true
          poll-interval: 1s
          max-failed: 10
      - run: echo "result=${{ steps.splx.outputs.result }}"
`, repo, api.URL)
	writeFile(t, filepath.Join(repo, ".github/workflows/red-team.yml"), workflow)
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-c", "user.email=ci@example.invalid", "-c", "user.name=ci"}, args...)...)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-qm", "e2e")

	for _, tt := range []struct {
		name  string
		token string
		ok    bool
		want  []string
	}{
		{"good token", testToken, true, []string{"SPLX Probe test run started", "SPLX Probe gate passed", "test-run-id=1001", "result=passed"}},
		{"bad token", "tok-WRONG-0000", false, []string{"::error title=SPLX Probe authentication failed::", "exit with `FAILURE`: 3"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, actBin, "push", "-W", ".github/workflows/red-team.yml",
				"-P", "ubuntu-latest=-self-hosted", "--pull=false", "--container-options", "--network host",
				"-s", "SPLX_API_KEY="+tt.token)
			cmd.Dir = repo
			cmd.Env = d.env
			out, err := cmd.CombinedOutput()
			log := string(out)
			if (err == nil) != tt.ok {
				t.Errorf("act: %v, want success %v\n%s", err, tt.ok, log)
			}
			for _, w := range tt.want {
				if !strings.Contains(log, w) {
					t.Errorf("act log lacks %q\n%s", w, log)
				}
			}
			if strings.Contains(log, tt.token) {
				t.Error("act log contains the token")
			}
		})
	}
	if api.Runs() != 1 {
		t.Errorf("%d runs created, want 1 (the good token's)", api.Runs())
	}
}

func mustOutput(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return string(out)
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
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
