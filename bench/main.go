// Command bench measures what the tool costs a CI job, side by side with
// what users would run instead: the vendor's curl + jq trigger. It builds
// the binary as the Dockerfile does, serves the fake Probe API on
// 127.0.0.1, and times interleaved trigger-only invocations of both.
//
// Run it with bench/run.sh; it prints Markdown for BENCHMARKS.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		stop()
		os.Exit(1)
	}
}

const token = "bench-token"

// sample is one timed invocation.
type sample struct {
	wall      time.Duration
	firstByte time.Duration // process start to the request's arrival
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	n := fs.Int("n", 50, "trigger-only invocations of each command (0: skip the comparison with curl)")
	sizes := fs.String("probes", "200,2000", "probe runs of the every-destination runs, comma-separated")
	samples := fs.Int("samples", 5, "runs per size for peak memory")
	gaps := fs.Int("gaps", 3, "gaps between polls in the idle measurement (0: skip it)")
	binPath := fs.String("bin", "", "measure this binary instead of building one (to compare two builds)")
	image := fs.String("image", "", "Docker image whose size to report (needs DOCKER_HOST)")
	publish := fs.String("publish", "", "measure, run the Go benchmarks too, and rewrite the measured blocks of this file (BENCHMARKS.md)")
	without := fs.String("without", "", "leave out destinations' variables (comma-separated: SPLX_SARIF_PATH,SPLX_GITHUB_TOKEN, say) to see what they cost")
	var extra []string
	fs.Func("env", "KEY=VALUE for the every-destination runs (GOGC=50, say); repeatable", func(kv string) error {
		extra = append(extra, kv)
		return nil
	})
	stale := fs.String("stale", "", "measure nothing: mark the blocks of this file whose sources changed since they were measured")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *stale != "" {
		return markStale(*stale, out)
	}
	var probeCounts []int
	for _, f := range strings.Split(*sizes, ",") {
		k, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || k < 1 {
			return fmt.Errorf("-probes: %q is not a positive number", f)
		}
		probeCounts = append(probeCounts, k)
	}
	for _, tool := range []string{"curl", "jq", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is needed: %w", tool, err)
		}
	}
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		return fmt.Errorf("GNU time (Debian's time package) is needed for peak memory: %w", err)
	}
	dir, err := os.MkdirTemp("", "splx-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := *binPath
	if bin == "" {
		bin = filepath.Join(dir, "splx-probe")
		build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=bench", "-o", bin, ".")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if b, err := build.CombinedOutput(); err != nil {
			return fmt.Errorf("build: %v\n%s", err, b)
		}
	}
	info, err := os.Stat(bin)
	if err != nil {
		return err
	}
	var md strings.Builder
	fmt.Fprintf(&md, "Measured %s on %s.\n\n", time.Now().UTC().Format("2006-01-02"), machine())
	fmt.Fprintf(&md, "| measurement | splx-probe | curl + jq | floor: minimal Go POST | target |\n|---|---:|---:|---:|---|\n")
	if *n > 0 {
		if err := triggerOnly(ctx, &md, dir, bin, *n); err != nil {
			return err
		}
	}
	if err := destinations(ctx, &md, dir, bin, probeCounts, *samples, *without, extra); err != nil {
		return err
	}
	if *gaps > 0 {
		if err := idle(ctx, &md, dir, bin, *gaps); err != nil {
			return err
		}
	}
	fmt.Fprintf(&md, "| binary size (stripped, -trimpath) | %s | | | |\n", mib(info.Size()/1024))
	if *image != "" {
		size, err := exec.CommandContext(ctx, "docker", "image", "inspect", "-f", "{{.Size}}", *image).Output()
		if err == nil {
			b, _ := strconv.ParseInt(strings.TrimSpace(string(size)), 10, 64)
			fmt.Fprintf(&md, "| image %s, uncompressed | %.1f MB | | | < 20 MB |\n", *image, float64(b)/1e6)
		} else {
			fmt.Fprintf(&md, "| image %s | not measured (%v) | | | |\n", *image, err)
		}
	}
	if *publish == "" {
		_, err := io.WriteString(out, md.String())
		return err
	}
	goBench, err := goBenchmarks(ctx)
	if err != nil {
		return err
	}
	return publishBlocks(*publish, map[string]string{"cli": md.String(), "go": goBench}, out)
}

// triggerOnly times interleaved trigger-only invocations of the tool, the
// vendor's curl | jq step and the floor.
func triggerOnly(ctx context.Context, out io.Writer, dir, bin string, n int) error {
	// The floor: the smallest Go program that sends the same POST, so the
	// tool's own overhead can be told from the cost of starting a process.
	floorDir := filepath.Join(dir, "floor")
	if err := os.MkdirAll(floorDir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(floorDir, "go.mod"), []byte("module floor\ngo 1.26\n"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(floorDir, "main.go"), []byte(floorProgram), 0o644); err != nil {
		return err
	}
	floorBin := filepath.Join(dir, "floor-bin")
	fb := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", floorBin, ".")
	fb.Dir, fb.Env = floorDir, append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	if b, err := fb.CombinedOutput(); err != nil {
		return fmt.Errorf("build the floor program: %v\n%s", err, b)
	}

	api := fakeapi.NewServer(fakeapi.WithToken(token))
	defer api.Close()
	env := []string{"PATH=" + os.Getenv("PATH"), "SPLX_API_KEY=" + token, "SPLX_API_URL=" + api.URL, "SPLX_TARGET_ID=42", "SPLX_PROBE_IDS=1,2,3", "SPLX_NAME=bench"}
	// The vendor's template, as users would write it, with the error
	// handling it lacks added only as far as curl allows.
	curlScript := `curl -sS --fail-with-body -X POST "$SPLX_API_URL/api/v2/test-run/trigger" ` +
		`-H "X-Api-Key: $SPLX_API_KEY" -H "Content-Type: application/json" ` +
		`-d '{"targetId":42,"probeIds":[1,2,3],"name":"bench","notifyWhenFinished":false,"runAiAnalysis":false}' | jq -r .testRunId`

	var tool, curl, floor []sample
	for i := 0; i < n; i++ {
		order := []func() error{
			func() error { s, err := timed(ctx, api, env, bin); tool = append(tool, s); return err },
			func() error {
				s, err := timed(ctx, api, env, "sh", "-c", curlScript)
				curl = append(curl, s)
				return err
			},
			func() error { s, err := timed(ctx, api, env, floorBin); floor = append(floor, s); return err },
		}
		// Rotate the order each round so no command always runs first.
		for j := range order {
			if err := order[(i+j)%len(order)](); err != nil {
				return err
			}
		}
	}

	toolRSS, err := maxPeakRSS(ctx, env, bin)
	if err != nil {
		return err
	}
	curlRSS, err := maxPeakRSS(ctx, env, "sh", "-c", "curl --version >/dev/null; "+curlScript)
	if err != nil {
		return err
	}
	floorRSS, err := maxPeakRSS(ctx, env, floorBin)
	if err != nil {
		return err
	}
	toolMed, curlMed := median(tool, wallOf), median(curl, wallOf)
	fmt.Fprintf(out, "| trigger-only invocation, median of %d (interleaved) | %s | %s | %s | tool ≤ 0.8 × curl: **%.2f ×** |\n", n, ms(toolMed), ms(curlMed), ms(median(floor, wallOf)), float64(toolMed)/float64(curlMed))
	fmt.Fprintf(out, "| process start → first request byte, median | %s | %s | %s | < 5 ms |\n", ms(median(tool, firstOf)), ms(median(curl, firstOf)), ms(median(floor, firstOf)))
	fmt.Fprintf(out, "| peak RSS, trigger-only, max of 3 (curl: largest process of the pipeline) | %s | %s | %s | |\n", mib(toolRSS), mib(curlRSS), mib(floorRSS))
	return nil
}

// timed runs one command and measures it; the fake API tells when its
// request arrived.
func timed(ctx context.Context, api *fakeapi.Server, env []string, name string, args ...string) (sample, error) {
	before := len(api.Requests())
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	var outBuf strings.Builder
	cmd.Stdout, cmd.Stderr = &outBuf, &outBuf
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return sample{}, fmt.Errorf("%s: %v\n%s", name, err, outBuf.String())
	}
	s := sample{wall: time.Since(start)}
	if reqs := api.Requests(); len(reqs) > before {
		s.firstByte = reqs[before].Received.Sub(start)
	}
	return s, nil
}

func wallOf(s sample) time.Duration  { return s.wall }
func firstOf(s sample) time.Duration { return s.firstByte }

func median(ss []sample, f func(sample) time.Duration) time.Duration {
	d := make([]time.Duration, len(ss))
	for i, s := range ss {
		d[i] = f(s)
	}
	slices.Sort(d)
	return d[len(d)/2]
}

// peakRSS runs a command under GNU time and returns its peak resident set
// in KiB. The rusage Go reports for its own children is no use here: they
// are forked with the parent's address space, whose size it includes.
func peakRSS(ctx context.Context, env []string, name string, args ...string) (int64, error) {
	cmd := exec.CommandContext(ctx, "/usr/bin/time", append([]string{"-f", "%M", "-o", "/dev/stderr", name}, args...)...)
	cmd.Env = env
	var errBuf strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &errBuf
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s: %v\n%s", name, err, errBuf.String())
	}
	lines := strings.Fields(errBuf.String())
	if len(lines) == 0 {
		return 0, fmt.Errorf("no output from /usr/bin/time")
	}
	return strconv.ParseInt(lines[len(lines)-1], 10, 64)
}

// maxPeakRSS is the largest peakRSS over a few runs.
func maxPeakRSS(ctx context.Context, env []string, name string, args ...string) (int64, error) {
	var m int64
	for i := 0; i < 3; i++ {
		k, err := peakRSS(ctx, env, name, args...)
		if err != nil {
			return 0, err
		}
		m = max(m, k)
	}
	return m, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
func mib(kib int64) string      { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

// machine describes where the numbers come from.
func machine() string {
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "model name") {
				_, cpu, _ = strings.Cut(l, ": ")
				break
			}
		}
	}
	curl, _ := exec.Command("curl", "--version").Output()
	curlV, _, _ := strings.Cut(string(curl), "\n")
	return fmt.Sprintf("%s/%s, %d cores (%s), %s, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), strings.TrimSpace(cpu), runtime.Version(), strings.Join(strings.Fields(curlV)[:2], " "))
}

// floorProgram sends the trigger with nothing else: no settings, no
// reporting, no retries.
const floorProgram = `package main

import (
	"net/http"
	"os"
	"strings"
)

func main() {
	req, _ := http.NewRequest("POST", os.Getenv("SPLX_API_URL")+"/api/v2/test-run/trigger",
		strings.NewReader(` + "`" + `{"targetId":42,"probeIds":[1,2,3],"name":"bench","notifyWhenFinished":false,"runAiAnalysis":false}` + "`" + `))
	req.Header.Set("X-Api-Key", os.Getenv("SPLX_API_KEY"))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		os.Exit(1)
	}
	resp.Body.Close()
}
`
