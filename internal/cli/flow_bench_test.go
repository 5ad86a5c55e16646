package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
)

// BenchmarkEveryDestination is one gating run, in process, with every
// destination on: JUnit, results, SARIF, the job summary, the outputs, the
// pull request comment (a fake GitHub on 127.0.0.1) and a baseline of the
// same size. Its B/op and a -memprofile show where a big run's memory goes;
// bench/run.sh measures the binary's peak RSS for the same run.
func BenchmarkEveryDestination(b *testing.B) {
	for _, n := range []int{200, 2000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			ps := make([]fakeapi.Probe, n)
			ids := make([]string, n)
			for i := range ps {
				ps[i] = fakeapi.Probe{ID: int32(i + 1), Name: fmt.Sprintf("Probe %d: jailbreak variant", i+1), Total: 125, Failed: int64(i % 3)}
				ids[i] = strconv.Itoa(i + 1)
			}
			api := fakeapi.NewServer(fakeapi.WithToken(testToken), fakeapi.WithProbes(ps...), fakeapi.WithSteps(0))
			b.Cleanup(api.Close)
			gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				if r.Method == http.MethodGet {
					_, _ = io.WriteString(w, "[]")
					return
				}
				w.WriteHeader(http.StatusCreated)
				_ = json.NewEncoder(w).Encode(map[string]any{"id": 1})
			}))
			b.Cleanup(gh.Close)
			dir := b.TempDir()
			event := filepath.Join(dir, "event.json")
			if err := os.WriteFile(event, []byte(`{"pull_request":{"number":17}}`), 0o644); err != nil {
				b.Fatal(err)
			}
			env := map[string]string{
				"SPLX_API_KEY": testToken, "SPLX_API_URL": api.URL, "SPLX_TARGET_ID": "42", "SPLX_PROBE_IDS": strings.Join(ids, ","),
				"SPLX_WAIT": "true", "SPLX_POLL_INTERVAL": "1s", "SPLX_MAX_FAILED": "100000",
				"SPLX_JUNIT_PATH": filepath.Join(dir, "j.xml"), "SPLX_RESULTS_PATH": filepath.Join(dir, "r.json"),
				"SPLX_SARIF_PATH": filepath.Join(dir, "s.sarif"), "SPLX_SARIF_LOCATION": ".github/workflows/red-team.yml",
				"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": filepath.Join(dir, "out"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
				"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": event, "GITHUB_API_URL": gh.URL,
				"GITHUB_REPOSITORY": "acme/chatbot", "GITHUB_WORKFLOW": "red team", "GITHUB_JOB": "gate", "SPLX_GITHUB_TOKEN": "ghs_bench-github-token",
			}
			run := func() {
				no := false
				c := &cli.Command{Version: "bench", Stdout: io.Discard, Stderr: io.Discard, Environ: environ(env), Clock: &fakeClock{now: fixedNow}, TTY: &no}
				if code := c.Run(context.Background(), nil); code != cli.ExitOK {
					b.Fatalf("exit %d", code)
				}
			}
			run()
			if err := os.Rename(env["SPLX_RESULTS_PATH"], filepath.Join(dir, "baseline.json")); err != nil {
				b.Fatal(err)
			}
			env["SPLX_BASELINE_PATH"] = filepath.Join(dir, "baseline.json")
			b.ReportAllocs()
			for b.Loop() {
				run()
			}
		})
	}
}
