package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
)

// fakeGitHub is the issue comments API on 127.0.0.1: an empty pull
// request that takes one comment and edits it, for a GITHUB_TOKEN that may
// not read /user.
type fakeGitHub struct {
	mu       sync.Mutex
	comments []map[string]any
	writes   int
}

// written is how many comments were created or edited so far.
func (g *fakeGitHub) written() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.writes
}

func (g *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var in struct{ Body string }
	switch {
	case r.URL.Path == "/user":
		// As for GITHUB_TOKEN: the tool then writes as github-actions[bot].
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `{"message":"Resource not accessible by integration"}`)
		return
	case r.Method == http.MethodGet:
		_ = json.NewEncoder(w).Encode(g.comments)
		return
	case r.Method == http.MethodPost:
		_ = json.NewDecoder(r.Body).Decode(&in)
		g.comments = append(g.comments, map[string]any{"id": len(g.comments) + 1, "body": in.Body, "user": map[string]string{"login": "github-actions[bot]"}})
		w.WriteHeader(http.StatusCreated)
	case r.Method == http.MethodPatch:
		_ = json.NewDecoder(r.Body).Decode(&in)
		if len(g.comments) > 0 {
			g.comments[0]["body"] = in.Body
		}
	}
	g.writes++
	_ = json.NewEncoder(w).Encode(map[string]any{"id": 1, "body": in.Body})
}

// destinations measures peak RSS of a gating run with every destination
// on: JUnit, results, SARIF, the job summary, the outputs, the pull
// request comment (a fake GitHub on 127.0.0.1) and a baseline of the same
// size, for each number of probe runs.
func destinations(ctx context.Context, out io.Writer, dir, bin string, sizes []int, samples int, without string, extra []string) error {
	gh := &fakeGitHub{}
	ghSrv := httptest.NewServer(gh)
	defer ghSrv.Close()
	event := filepath.Join(dir, "event.json")
	if err := os.WriteFile(event, []byte(`{"pull_request":{"number":17}}`), 0o644); err != nil {
		return err
	}
	medians := map[int]int64{}
	for _, size := range sizes {
		ps := make([]fakeapi.Probe, size)
		ids := make([]string, size)
		for i := range ps {
			ps[i] = fakeapi.Probe{ID: int32(i + 1), Name: fmt.Sprintf("Probe %d: jailbreak variant", i+1), Total: 125, Failed: int64(i % 3)}
			ids[i] = strconv.Itoa(i + 1)
		}
		api := fakeapi.NewServer(fakeapi.WithToken(token), fakeapi.WithProbes(ps...), fakeapi.WithSteps(0))
		files := map[string]string{}
		for _, f := range []string{"out", "summary", "j.xml", "r.json", "s.sarif", "baseline.json"} {
			files[f] = filepath.Join(dir, fmt.Sprint(size, "-", f))
		}
		for _, f := range []string{"out", "summary"} {
			if err := os.WriteFile(files[f], nil, 0o644); err != nil {
				return err
			}
		}
		env := []string{"PATH=" + os.Getenv("PATH"), "SPLX_API_KEY=" + token, "SPLX_API_URL=" + api.URL, "SPLX_TARGET_ID=42",
			"SPLX_PROBE_IDS=" + strings.Join(ids, ","), "SPLX_WAIT=true", "SPLX_POLL_INTERVAL=1s", "SPLX_MAX_FAILED=100000",
			"SPLX_JUNIT_PATH=" + files["j.xml"], "SPLX_RESULTS_PATH=" + files["r.json"], "SPLX_SARIF_PATH=" + files["s.sarif"],
			"SPLX_SARIF_LOCATION=.github/workflows/red-team.yml",
			"GITHUB_ACTIONS=true", "GITHUB_OUTPUT=" + files["out"], "GITHUB_STEP_SUMMARY=" + files["summary"],
			"GITHUB_EVENT_NAME=pull_request", "GITHUB_EVENT_PATH=" + event, "GITHUB_API_URL=" + ghSrv.URL,
			"GITHUB_REPOSITORY=acme/chatbot", "GITHUB_WORKFLOW=red team", "GITHUB_JOB=gate", "SPLX_GITHUB_TOKEN=ghs_bench-github-token"}
		// The baseline is an earlier run's results file of the same size.
		if _, err := peakRSS(ctx, env, bin); err != nil {
			return err
		}
		if err := os.Rename(files["r.json"], files["baseline.json"]); err != nil {
			return fmt.Errorf("the baseline run wrote no results file: %w", err)
		}
		env = append(env, "SPLX_BASELINE_PATH="+files["baseline.json"])
		env = append(env, extra...)
		for _, v := range strings.Split(without, ",") {
			// A comparison: the same run without some destinations.
			if v != "" {
				env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, v+"=") })
			}
		}
		var rss []int64
		for i := 0; i < samples; i++ {
			writes := gh.written()
			k, err := peakRSS(ctx, env, bin)
			if err != nil {
				return err
			}
			for _, f := range []string{"j.xml", "r.json", "s.sarif", "summary"} {
				if st, err := os.Stat(files[f]); (err != nil || st.Size() == 0) && without == "" {
					return fmt.Errorf("%d probe runs: %s was not written", size, f)
				}
			}
			if gh.written() == writes && without == "" {
				return fmt.Errorf("%d probe runs: no pull request comment was written", size)
			}
			rss = append(rss, k)
		}
		api.Close()
		slices.Sort(rss)
		medians[size] = rss[len(rss)/2]
		target := ""
		if size == 2000 {
			target = "< 15 MiB"
		}
		fmt.Fprintf(out, "| peak RSS, every destination on (JUnit, results, SARIF, summary, comment, baseline), %d probe runs: min / median / max of %d | %s / **%s** / %s | | | %s |\n",
			size, samples, mib(rss[0]), mib(rss[len(rss)/2]), mib(rss[len(rss)-1]), target)
	}
	if len(sizes) > 1 {
		lo, hi := slices.Min(sizes), slices.Max(sizes)
		if hi > lo {
			per := float64(medians[hi]-medians[lo]) * 1024 / float64(hi-lo)
			fmt.Fprintf(out, "| growth per probe run, every destination on (medians, %d → %d) | **%.2f KiB** | | | < 2 KiB |\n", lo, hi, per/1024)
		}
	}
	return nil
}

// idle measures what waiting costs between polls: the tool's CPU time and
// its system calls in the middle 700 ms of each 1 s gap between two status
// polls, once from /proc (CPU, ns) and once under strace (system calls).
func idle(ctx context.Context, out io.Writer, dir, bin string, gaps int) error {
	if _, err := exec.LookPath("strace"); err != nil {
		return fmt.Errorf("strace is needed for the idle measurement (Debian: strace): %w", err)
	}
	var cpu []time.Duration
	var calls []int
	for _, traced := range []bool{false, true} {
		api := fakeapi.NewServer(fakeapi.WithToken(token), fakeapi.WithSteps(gaps))
		env := []string{"PATH=" + os.Getenv("PATH"), "SPLX_API_KEY=" + token, "SPLX_API_URL=" + api.URL, "SPLX_TARGET_ID=42",
			"SPLX_PROBE_IDS=1,2,3", "SPLX_WAIT=true", "SPLX_POLL_INTERVAL=1s", "SPLX_MAX_FAILED=100000"}
		trace := filepath.Join(dir, "idle.strace")
		cmd := exec.CommandContext(ctx, bin)
		if traced {
			cmd = exec.CommandContext(ctx, "strace", "-f", "-qq", "-ttt", "-o", trace, bin)
		}
		cmd.Env, cmd.Stdout, cmd.Stderr = env, io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			return err
		}
		var windows [][2]time.Time
		for gap := 1; gap <= gaps; gap++ {
			// Wait for poll number gap, then sample the middle of the gap
			// after it.
			var at time.Time
			for at.IsZero() {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				var polls []time.Time
				for _, r := range api.Requests() {
					if strings.HasSuffix(r.Path, "/status") {
						polls = append(polls, r.Received)
					}
				}
				if len(polls) >= gap {
					at = polls[gap-1]
				} else {
					time.Sleep(5 * time.Millisecond)
				}
			}
			from, to := at.Add(150*time.Millisecond), at.Add(850*time.Millisecond)
			time.Sleep(time.Until(from))
			before := cpuTime(cmd.Process.Pid)
			time.Sleep(time.Until(to))
			if !traced {
				cpu = append(cpu, cpuTime(cmd.Process.Pid)-before)
			}
			windows = append(windows, [2]time.Time{from, to})
		}
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("the idle run: %w", err)
		}
		api.Close()
		if traced {
			data, err := os.ReadFile(trace)
			if err != nil {
				return err
			}
			for _, w := range windows {
				calls = append(calls, syscallsBetween(string(data), w[0], w[1]))
			}
		}
	}
	fmt.Fprintf(out, "| waiting: CPU time in the middle 700 ms of each 1 s gap between polls (%d gaps, /proc schedstat) | %s | | | ~0 |\n", gaps, joinDurations(cpu))
	fmt.Fprintf(out, "| waiting: system calls in the same windows (strace -f) | %s | | | 0 |\n", joinInts(calls))
	return nil
}

// cpuTime is the CPU time of every thread of a process so far, from
// /proc/<pid>/task/*/schedstat (nanoseconds on the CPU).
func cpuTime(pid int) time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var sum time.Duration
	for _, t := range tasks {
		data, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		if f := strings.Fields(string(data)); len(f) > 0 {
			ns, _ := strconv.ParseInt(f[0], 10, 64)
			sum += time.Duration(ns)
		}
	}
	return sum
}

// syscallsBetween counts the system calls of an strace -f -ttt log that
// started between from and to.
func syscallsBetween(log string, from, to time.Time) int {
	n := 0
	for _, l := range strings.Split(log, "\n") {
		f := strings.Fields(l)
		if len(f) < 3 || strings.HasPrefix(f[2], "<...") || strings.HasPrefix(f[2], "+++") || strings.HasPrefix(f[2], "---") {
			continue
		}
		sec, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			continue
		}
		t := time.Unix(0, int64(sec*1e9))
		if t.After(from) && t.Before(to) {
			n++
		}
	}
	return n
}

func joinDurations(ds []time.Duration) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = fmt.Sprintf("%.2f ms", float64(d)/1e6)
	}
	return strings.Join(s, ", ")
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}
