package cli_test

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// finished is a FINISHED status document with the given probe runs (JSON).
func finished(probeRuns string) string {
	return `{"testRunId":1001,"executionDate":"2026-11-27T10:00:00Z","status":"FINISHED","probeRuns":` + probeRuns + `}`
}

// probeRun is one probe run's JSON.
func probeRun(id int, name string, total, passed, failed, errs any, status string) string {
	return fmt.Sprintf(`{"probeName":%q,"probeRunId":%d,"probeId":%d,"totalCount":%v,"passedCount":%v,"failedCount":%v,"errorCount":%v,"status":%q}`,
		name, 100+id, id, total, passed, failed, errs, status)
}

// TestNoVerdictOnUntrustedResults: a finished run whose numbers cannot be
// trusted never passes, whatever the thresholds: exit 4, result
// no-verdict, one line naming the probe and the field, and a JUnit report
// that errors too.
func TestNoVerdictOnUntrustedResults(t *testing.T) {
	t.Parallel()
	real := probeRun(1, "Jailbreak", 100, 95, 5, 0, "FINISHED")
	tests := []struct {
		name   string
		doc    string
		probes string
		env    []string
		want   string
	}{
		{"negative failed hides real findings", finished("[" + real + "," + probeRun(2, "Leak", 10, 15, -5, 0, "FINISHED") + "]"), "1,2",
			[]string{"SPLX_MAX_FAILED", "0"}, `"Leak" (id 2): failedCount is negative (-5)`},
		{"findings in an empty probe", finished("[" + probeRun(1, "Empty", 0, 0, 3, 0, "FINISHED") + "]"), "1",
			[]string{"SPLX_MAX_FAILED_PERCENT", "0"}, "(3) exceed totalCount (0)"},
		{"counts near 2^63", finished("[" + probeRun(1, "A", int64(1)<<62, int64(1)<<62, 0, 0, "FINISHED") + "," + probeRun(2, "B", int64(1)<<62, int64(1)<<62, 0, 0, "FINISHED") + "]"), "1,2",
			[]string{"SPLX_MAX_FAILED", "0"}, "totalCount is too large to trust"},
		{"more counted than run", finished("[" + probeRun(1, "P", 10, 10, 2, 0, "FINISHED") + "]"), "1", nil, "(12) exceed totalCount (10)"},
		{"finished without probe runs", finished("[]"), "1", nil, "has no probe runs"},
		{"probeRuns null", finished("null"), "1", nil, "has no probe runs"},
		{"probeRuns missing", `{"testRunId":1001,"status":"FINISHED"}`, "1", nil, "has no probe runs"},
		{"probe still pending, nothing done", finished("[" + probeRun(1, "P", 10, 0, 0, 0, "PENDING") + "]"), "1", nil, "status is PENDING, not FINISHED"},
		{"target down: every attack errored", finished("[" + probeRun(1, "P", 40, 0, 0, 40, "FINISHED") + "]"), "1", nil, "all 40 test cases errored"},
		{"too many errors for max-error-percent", finished("[" + probeRun(1, "P", 10, 7, 0, 3, "FINISHED") + "]"), "1",
			[]string{"SPLX_MAX_ERROR_PERCENT", "20"}, "over the max-error-percent of 20%"},
		{"a triggered probe has no probe run", finished("[" + real + "]"), "1,2,3", []string{"SPLX_MAX_FAILED", "10"},
			"probe 2 was triggered but the run has no probe run for it (and 1 more problems)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, fakeapi.WithSteps(0))
			api.Fail(fakeapi.Fault{Op: fakeapi.OpStatus, Body: tt.doc})
			env := waitEnv(t, api, append([]string{"SPLX_PROBE_IDS", tt.probes}, tt.env...)...)
			junit := filepath.Join(t.TempDir(), "junit.xml")
			env["SPLX_JUNIT_PATH"] = junit
			r := invoke(t, context.Background(), env)
			if r.code != cli.ExitNoVerdict || r.outputs["result"] != "no-verdict" {
				t.Fatalf("exit %d result %q, want %d no-verdict\n%s", r.code, r.outputs["result"], cli.ExitNoVerdict, r.stdout)
			}
			var verdict string
			for _, l := range strings.Split(r.stdout, "\n") {
				if strings.HasPrefix(l, "::error title=SPLX Probe%3A no verdict::") {
					verdict = l
				}
			}
			if !strings.Contains(verdict, tt.want) {
				t.Errorf("verdict line %q does not say %q", verdict, tt.want)
			}
			for _, name := range []string{"total", "passed", "failed", "errors"} {
				if strings.HasPrefix(r.outputs[name], "-") {
					t.Errorf("output %s is negative: %s", name, r.outputs[name])
				}
			}
			data, err := os.ReadFile(junit)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Errors int `xml:"errors,attr"`
			}
			if err := xml.Unmarshal(data, &doc); err != nil || doc.Errors == 0 {
				t.Errorf("JUnit shows no error for a job without a verdict (%v):\n%s", err, data)
			}
		})
	}
}

// TestTokenEchoRedacted: a server that echoes the token, as sent or
// URL-encoded or base64-encoded, in an error body or a probe name, never
// gets it into any log line or file, on any platform.
func TestTokenEchoRedacted(t *testing.T) {
	t.Parallel()
	const token = "tok+SECRET/7f3a=9c&q<"
	forms := []string{token, url.QueryEscape(token), url.PathEscape(token),
		base64.StdEncoding.EncodeToString([]byte(token)), base64.URLEncoding.EncodeToString([]byte(token)),
		base64.StdEncoding.EncodeToString([]byte("user:" + token))}
	echoes := []struct {
		name  string
		fault fakeapi.Fault
		wait  bool
	}{
		{"400 message", fakeapi.Fault{Op: fakeapi.OpTrigger, Status: 400, Body: `{"error":{"message":"bad key ` + token + `","code":"BAD"}}`}, false},
		{"400 details, URL-encoded", fakeapi.Fault{Op: fakeapi.OpTrigger, Status: 400, Body: `{"error":{"message":"x","code":"BAD","key":"` + url.QueryEscape(token) + `"}}`}, false},
		{"502 HTML page, base64", fakeapi.Fault{Op: fakeapi.OpTrigger, Status: 502, Body: "<html>Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("user:"+token)) + "</html>"}, false},
		{"not JSON 200", fakeapi.Fault{Op: fakeapi.OpTrigger, Status: 200, Body: "echo " + base64.URLEncoding.EncodeToString([]byte(token))}, false},
		{"probe name in the status", fakeapi.Fault{Op: fakeapi.OpStatus, Body: finished("[" + probeRun(1, "key="+token, 10, 9, 1, 0, "FINISHED") + "]")}, true},
	}
	platforms := map[string]func(dir string) map[string]string{
		"github": func(dir string) map[string]string { return githubEnv(t, dir) },
		"gitlab": func(dir string) map[string]string { return map[string]string{"GITLAB_CI": "true"} },
		"circleci": func(dir string) map[string]string {
			return map[string]string{"CIRCLECI": "true", "BASH_ENV": filepath.Join(dir, "bash_env")}
		},
		"plain": func(dir string) map[string]string { return map[string]string{} },
	}
	for _, e := range echoes {
		for platform, penv := range platforms {
			t.Run(e.name+"/"+platform, func(t *testing.T) {
				t.Parallel()
				api := testenv.NewAPI(t, fakeapi.WithToken(token), fakeapi.WithSteps(0))
				api.Fail(e.fault)
				dir := t.TempDir()
				env := testenv.With(baseEnv(api), "SPLX_API_KEY", token, "SPLX_PROBE_IDS", "1", "SPLX_DOTENV_PATH", filepath.Join(dir, "splx.env"))
				if e.wait {
					env = testenv.With(env, "SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s",
						"SPLX_JUNIT_PATH", filepath.Join(dir, "j.xml"), "SPLX_RESULTS_PATH", filepath.Join(dir, "r.json"))
				}
				for k, v := range penv(dir) {
					env[k] = v
				}
				r := invoke(t, context.Background(), env)
				if r.code == cli.ExitOK {
					t.Fatalf("exit 0 on a hostile answer")
				}
				texts := map[string]string{"log": r.stdout + r.stderr}
				_ = filepath.WalkDir(r.dir, func(p string, d os.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						data, _ := os.ReadFile(p)
						texts[p] = string(data)
					}
					return nil
				})
				for where, text := range texts {
					for _, l := range strings.Split(text, "\n") {
						if l == "::add-mask::"+token {
							continue
						}
						for _, f := range forms {
							if strings.Contains(l, f) {
								t.Errorf("%s carries the token as %q: %q", where, f, l)
							}
						}
					}
				}
				if !strings.Contains(texts["log"], "***") {
					t.Errorf("nothing was redacted in the log:\n%s", texts["log"])
				}
			})
		}
	}
}

// TestBoundedWaits: no wait outlasts the timeout; without wait a long
// Retry-After is refused at once; a timeout shorter than one poll interval
// is refused before any request.
func TestBoundedWaits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		env      []string
		faults   []fakeapi.Fault
		code     cli.ExitCode
		triggers int
		want     string
	}{
		{"503 Retry-After 999999 without wait", nil,
			[]fakeapi.Fault{{Op: fakeapi.OpTrigger, Status: 503, Header: map[string]string{"Retry-After": "999999"}}},
			cli.ExitAPI, 1, "retry after 277h46m39s, longer than the 1m0s"},
		{"503 Retry-After 999999 with wait", []string{"SPLX_WAIT", "true", "SPLX_TIMEOUT", "30m"},
			[]fakeapi.Fault{{Op: fakeapi.OpTrigger, Status: 503, Header: map[string]string{"Retry-After": "999999"}}},
			cli.ExitAPI, 1, "retry after 277h46m39s, past the timeout"},
		{"429 Retry-After 61 without wait", nil,
			[]fakeapi.Fault{{Op: fakeapi.OpTrigger, Status: 429, Header: map[string]string{"Retry-After": "61"}}},
			cli.ExitAPI, 1, "retry after 1m1s, longer than the 1m0s"},
		{"Retry-After beyond the timeout while polling", []string{"SPLX_WAIT", "true", "SPLX_TIMEOUT", "20s", "SPLX_POLL_INTERVAL", "1s"},
			[]fakeapi.Fault{{Op: fakeapi.OpStatus, Status: 503, Header: map[string]string{"Retry-After": "3600"}}},
			cli.ExitAPI, 1, "retry after 1h0m0s, past the timeout"},
		{"timeout 1ns", []string{"SPLX_WAIT", "true", "SPLX_TIMEOUT", "1ns"}, nil, cli.ExitInvalidInput, 0, "timeout: \"1ns\" is shorter than one poll-interval (15s)"},
		{"timeout under the poll interval", []string{"SPLX_WAIT", "true", "SPLX_TIMEOUT", "10s"}, nil, cli.ExitInvalidInput, 0, "is shorter than one poll-interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t)
			for _, f := range tt.faults {
				api.Fail(f)
			}
			r := invoke(t, context.Background(), testenv.With(baseEnv(api), tt.env...))
			if r.code != tt.code || api.Count(fakeapi.OpTrigger) != tt.triggers {
				t.Errorf("exit %d with %d triggers, want %d with %d\n%s%s", r.code, api.Count(fakeapi.OpTrigger), tt.code, tt.triggers, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout+r.stderr, tt.want) {
				t.Errorf("output does not say %q:\n%s%s", tt.want, r.stdout, r.stderr)
			}
			for _, s := range r.sleeps {
				if s > time.Minute {
					t.Errorf("slept %s", s)
				}
			}
		})
	}
}

// TestFilesWithoutTrailingNewline: appending to a file command or $BASH_ENV
// whose last line has no newline starts on a line of its own.
func TestFilesWithoutTrailingNewline(t *testing.T) {
	t.Parallel()
	api := testenv.NewAPI(t)
	dir := t.TempDir()
	env := testenv.With(baseEnv(api), githubEnvPairs(t, dir)...)
	for _, p := range []string{env["GITHUB_OUTPUT"], env["GITHUB_STEP_SUMMARY"]} {
		if err := os.WriteFile(p, []byte("KEEP=1"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := invoke(t, context.Background(), env)
	if r.code != cli.ExitOK || r.outputs["KEEP"] != "1" || r.outputs["test-run-id"] != "1001" {
		t.Errorf("exit %d, outputs %v", r.code, r.outputs)
	}

	bashEnv := filepath.Join(dir, "bash_env")
	if err := os.WriteFile(bashEnv, []byte("export KEEP=1"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = invoke(t, context.Background(), testenv.With(baseEnv(api), "CIRCLECI", "true", "BASH_ENV", bashEnv))
	out, err := exec.Command("sh", "-c", `. "$1"; printf '%s %s' "$KEEP" "$SPLX_TEST_RUN_ID"`, "sh", bashEnv).Output()
	if r.code != cli.ExitOK || err != nil || string(out) != "1 1002" {
		t.Errorf("exit %d; sourcing BASH_ENV gave %q, %v", r.code, out, err)
	}
}

// githubEnvPairs is githubEnv as key, value pairs for with.
func githubEnvPairs(t *testing.T, dir string) []string {
	var kv []string
	for k, v := range githubEnv(t, dir) {
		kv = append(kv, k, v)
	}
	return kv
}

// TestAnnotationBudget: every annotation the tool emits, its own warnings
// included, fits GitHub's 10 per kind; what does not fit stays in the log.
func TestAnnotationBudget(t *testing.T) {
	t.Parallel()
	var probes []fakeapi.Probe
	for i := 1; i <= 12; i++ {
		probes = append(probes, fakeapi.Probe{ID: int32(i), Name: fmt.Sprintf("P%d", i), Total: 10, Failed: 1})
	}
	api := testenv.NewAPI(t, fakeapi.WithProbes(probes...), fakeapi.WithSteps(0))
	api.Fail(fakeapi.Fault{Op: fakeapi.OpReport, Status: 500, Times: 10})
	dir := t.TempDir()
	env := waitEnv(t, api, "SPLX_PROBE_IDS", probeList(12), "SPLX_MAX_FAILED", "100",
		"SPLX_REPORT_PATH", filepath.Join(dir, "r.pdf"),
		// Neither file exists: two more warnings of the tool's own.
		"GITHUB_OUTPUT", "/nonexistent/out", "GITHUB_STEP_SUMMARY", "/nonexistent/summary")
	r := invoke(t, context.Background(), env)
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	count := map[string]int{}
	for _, l := range strings.Split(r.stdout, "\n") {
		for _, kind := range []string{"error", "warning", "notice"} {
			if strings.HasPrefix(l, "::"+kind+" ") || strings.HasPrefix(l, "::"+kind+"::") {
				count[kind]++
			}
		}
	}
	if count["warning"] > 10 || count["error"] > 10 || count["notice"] > 10 {
		t.Errorf("annotations %v: GitHub drops those over 10 per kind", count)
	}
	if !strings.Contains(r.stdout, "more probes with findings") || !strings.Contains(r.stdout, "SPLX Probe gate passed") {
		t.Errorf("the overflow or the verdict is missing:\n%s", r.stdout)
	}
}

// TestEveryExitSetsResult: whatever happens, a later step reads a result
// from the documented set and a status.
func TestEveryExitSetsResult(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		env    []string
		fault  *fakeapi.Fault
		code   cli.ExitCode
		result string
	}{
		{"triggered", nil, nil, cli.ExitOK, "pending"},
		{"invalid input", []string{"SPLX_TARGET_ID", "x"}, nil, cli.ExitInvalidInput, "error"},
		{"rejected trigger (400)", nil, &fakeapi.Fault{Op: fakeapi.OpTrigger, Status: 400, Body: `{"error":{"message":"no","code":"BAD"}}`}, cli.ExitInvalidInput, "error"},
		{"token rejected (401)", []string{"SPLX_API_KEY", "wrong-token"}, nil, cli.ExitAuth, "error"},
		{"ambiguous trigger (500)", nil, &fakeapi.Fault{Op: fakeapi.OpTrigger, Status: 500}, cli.ExitAPI, "error"},
		{"status poll fails", []string{"SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s"}, &fakeapi.Fault{Op: fakeapi.OpStatus, Status: 500, Times: 5}, cli.ExitAPI, "error"},
		{"run-wide gate fails", []string{"SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_MAX_FAILED", "0", "SPLX_PROBE_IDS", "1"},
			&fakeapi.Fault{Op: fakeapi.OpStatus, Body: finished("[" + probeRun(1, "A", 10, 9, 1, 0, "FINISHED") + "]")}, cli.ExitGateFailed, "failed"},
		{"run ended in ERROR", []string{"SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s"},
			&fakeapi.Fault{Op: fakeapi.OpStatus, Body: `{"testRunId":1001,"status":"ERROR","probeRuns":[]}`}, cli.ExitNoVerdict, "no-verdict"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, fakeapi.WithSteps(0))
			if tt.fault != nil {
				api.Fail(*tt.fault)
			}
			dir := t.TempDir()
			env := testenv.With(baseEnv(api), append(githubEnvPairs(t, dir), tt.env...)...)
			r := invoke(t, context.Background(), env)
			if r.code != tt.code || r.outputs["result"] != tt.result || r.outputs["status"] == "" {
				t.Errorf("exit %d result %q status %q, want %d %q and a status\n%s", r.code, r.outputs["result"], r.outputs["status"], tt.code, tt.result, r.stdout)
			}
		})
	}
}

// TestReportPathsCollide: reports that would overwrite each other, the
// baseline or a file the runner owns are refused before any request, by
// identity rather than spelling ("./", a directory symlink, a hard link, a
// file symlink, a folder not created yet); a report path that is a
// directory is refused before the trigger too; and a write failure never
// names a temporary file.
func TestReportPathsCollide(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	link := filepath.Join(dir, "link")
	baseline := filepath.Join(real, "baseline.json")
	testenv.WriteFile(t, baseline, "{}")
	testenv.WriteFile(t, filepath.Join(real, "existing.xml"), "<x/>")
	symlinks := os.Symlink(real, link) == nil &&
		os.Symlink(filepath.Join(real, "existing.xml"), filepath.Join(real, "file-link.xml")) == nil
	hardlinks := os.Link(filepath.Join(real, "existing.xml"), filepath.Join(real, "hard.xml")) == nil
	tests := []struct {
		name   string
		env    func(env map[string]string) []string
		want   string
		needed bool
	}{
		{"one file spelt twice", func(map[string]string) []string {
			return []string{"SPLX_JUNIT_PATH", filepath.Join(real, "out.xml"), "SPLX_RESULTS_PATH", real + "/./out.xml"}
		}, `results-path: "` + real + `/./out.xml" is the same file as junit-path`, true},
		{"pdf and results", func(map[string]string) []string {
			return []string{"SPLX_RESULTS_PATH", filepath.Join(real, "a"), "SPLX_REPORT_PATH", filepath.Join(real, "x", "..", "a")}
		}, "report-path: " + strconv.Quote(filepath.Join(real, "x", "..", "a")) + " is the same file as results-path", true},
		{"through a directory symlink", func(map[string]string) []string {
			return []string{"SPLX_JUNIT_PATH", filepath.Join(real, "out.xml"), "SPLX_RESULTS_PATH", filepath.Join(link, "out.xml")}
		}, "is the same file as junit-path", symlinks},
		{"in a folder not created yet, through a symlink", func(map[string]string) []string {
			return []string{"SPLX_JUNIT_PATH", filepath.Join(real, "new", "out.xml"), "SPLX_SARIF_PATH", filepath.Join(link, "new", "out.xml")}
		}, "sarif-path: " + strconv.Quote(filepath.Join(link, "new", "out.xml")) + " is the same file as junit-path", symlinks},
		{"a file symlink", func(map[string]string) []string {
			return []string{"SPLX_JUNIT_PATH", filepath.Join(real, "existing.xml"), "SPLX_RESULTS_PATH", filepath.Join(real, "file-link.xml")}
		}, "is the same file as junit-path", symlinks},
		{"a hard link", func(map[string]string) []string {
			return []string{"SPLX_JUNIT_PATH", filepath.Join(real, "existing.xml"), "SPLX_RESULTS_PATH", filepath.Join(real, "hard.xml")}
		}, "is the same file as junit-path", hardlinks},
		{"the dotenv file", func(map[string]string) []string {
			return []string{"SPLX_JUNIT_PATH", filepath.Join(real, "out.env"), "SPLX_DOTENV_PATH", filepath.Join(link, "out.env")}
		}, "dotenv-path: " + strconv.Quote(filepath.Join(link, "out.env")) + " is the same file as junit-path", symlinks},
		{"sarif-path on the baseline", func(map[string]string) []string {
			return []string{"SPLX_BASELINE_PATH", baseline, "SPLX_SARIF_PATH", filepath.Join(link, "baseline.json")}
		}, "sarif-path: " + strconv.Quote(filepath.Join(link, "baseline.json")) + " is the baseline-path file, which the tool reads; the tool never writes over a file it reads or the runner owns", symlinks},
		{"results-path on the baseline", func(map[string]string) []string {
			return []string{"SPLX_BASELINE_PATH", baseline, "SPLX_RESULTS_PATH", baseline}
		}, "results-path: " + strconv.Quote(baseline) + " is the baseline-path file", true},
		{"a report folder", func(map[string]string) []string { return []string{"SPLX_JUNIT_PATH", real} },
			"junit-path: " + strconv.Quote(real) + " is a directory; give the path of a file", true},
	}
	for _, v := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_STATE", "GITHUB_PATH", "GITHUB_EVENT_PATH"} {
		tests = append(tests, struct {
			name   string
			env    func(env map[string]string) []string
			want   string
			needed bool
		}{"results-path on " + v, func(env map[string]string) []string {
			return []string{"SPLX_RESULTS_PATH", filepath.Join(filepath.Dir(env["GITHUB_OUTPUT"]), ".", filepath.Base(env[v]))}
		}, "is the runner's " + v + " file; the tool never writes over a file it reads or the runner owns", true})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if !tt.needed {
				t.Skip("no symlinks or hard links here")
			}
			api := testenv.NewAPI(t)
			env := waitEnv(t, api)
			runner := filepath.Dir(env["GITHUB_OUTPUT"])
			for _, v := range []string{"GITHUB_ENV", "GITHUB_STATE", "GITHUB_PATH", "GITHUB_EVENT_PATH"} {
				env[v] = filepath.Join(runner, strings.ToLower(v))
				testenv.WriteFile(t, env[v], "runner's own\n")
			}
			r := invoke(t, context.Background(), testenv.With(env, tt.env(env)...))
			if r.code != cli.ExitInvalidInput || !strings.Contains(r.stdout, tt.want) {
				t.Errorf("exit %d, want 2 with %q\n%s", r.code, tt.want, r.stdout)
			}
			if n := len(api.Requests()); n != 0 {
				t.Errorf("%d requests sent", n)
			}
			for _, v := range []string{"GITHUB_ENV", "GITHUB_STATE", "GITHUB_PATH", "GITHUB_EVENT_PATH"} {
				if data, _ := os.ReadFile(env[v]); string(data) != "runner's own\n" {
					t.Errorf("%s changed: %q", v, data)
				}
			}
		})
	}
	if data, _ := os.ReadFile(baseline); string(data) != "{}" {
		t.Errorf("the baseline changed: %q", data)
	}
	// A report that cannot be written once the run ended names the user's
	// path, never the temporary file.
	api := testenv.NewAPI(t, fakeapi.WithSteps(0))
	bad := filepath.Join(real, "existing.xml", "out.xml")
	r := invoke(t, context.Background(), waitEnv(t, api, "SPLX_JUNIT_PATH", bad))
	if !strings.Contains(r.stdout, "could not write "+bad) || strings.Contains(r.stdout, ".tmp-") {
		t.Errorf("exit %d\n%s", r.code, r.stdout)
	}
}
