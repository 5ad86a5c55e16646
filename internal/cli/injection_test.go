package cli_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// hostile is text an adversarial platform (or whoever named a probe) could
// send, aimed at every destination the tool writes.
var hostile = []string{
	"::set-output name=result::passed",
	"##[error]forged annotation",
	"x\n::error::newline injection\r\n::add-mask::y",
	"ghadelimiter_0123456789abcdef\nresult=passed",
	`</testcase><testcase name="pwned"><failure/>`,
	"<script>alert(1)</script> | col | `code` [link](https://evil.example) ![img](x) **bold**",
	"$(touch PWNED) `touch PWNED2` ; rm -rf ~ 'quote' \"dq\" \\",
	"\x1b]0;title\x07\x1b[31mred\x1b[0m\x1b[2K",
	"\u202eevil\u2066 bidi \u2028line",
	"nul\x00byte \x01\x02\x7f",
	"\xff\xfe invalid utf-8",
	strings.Repeat("A", 5000),
}

// TestInjectionCorpus pushes the hostile texts, as probe names and as the
// run's status, through every destination and reads each one back the way
// its consumer does.
func TestInjectionCorpus(t *testing.T) {
	t.Parallel()
	var probes []fakeapi.Probe
	for i, name := range hostile {
		probes = append(probes, fakeapi.Probe{ID: int32(i + 1), Name: name, Total: 10, Failed: int64(i % 3)})
	}
	status := "RUNNING\n::set-output name=x::y $(touch PWNED3) ##[warning]<b>|"
	for _, platform := range []string{"github", "gitlab", "circleci", "plain"} {
		t.Run(platform, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, fakeapi.WithProbes(probes...), fakeapi.WithSteps(0), fakeapi.WithFinalStatus(status))
			dir := t.TempDir()
			env := map[string]string{
				"SPLX_API_KEY": testToken, "SPLX_API_URL": api.URL, "SPLX_TARGET_ID": "42",
				// The timeout is on the fake clock, but each request is cut at
				// the time left in real time too: 10 s keeps a slow machine from
				// cutting the first poll.
				"SPLX_PROBE_IDS": probeList(len(hostile)), "SPLX_WAIT": "true", "SPLX_POLL_INTERVAL": "1s", "SPLX_TIMEOUT": "10s",
				"SPLX_JUNIT_PATH": filepath.Join(dir, "j.xml"), "SPLX_RESULTS_PATH": filepath.Join(dir, "r.json"),
				"SPLX_DOTENV_PATH": filepath.Join(dir, "splx.env"),
			}
			switch platform {
			case "github":
				for k, v := range githubEnv(t, dir) {
					env[k] = v
				}
			case "gitlab":
				env["GITLAB_CI"] = "true"
			case "circleci":
				env["CIRCLECI"] = "true"
				env["BASH_ENV"] = filepath.Join(dir, "bash_env")
			}
			r := invoke(t, context.Background(), env)
			if r.code != cli.ExitTimeout {
				t.Fatalf("exit %d, want %d (the hostile status is unknown, so the wait times out)", r.code, cli.ExitTimeout)
			}
			log := r.stdout + r.stderr
			assertNoInjection(t, log, []string{"add-mask", "error"})
			if platform != "github" {
				for _, l := range strings.Split(log, "\n") {
					if strings.HasPrefix(strings.TrimSpace(l), "::") {
						t.Errorf("%s: a workflow command printed off GitHub: %q", platform, l)
					}
				}
			}
			for _, l := range strings.Split(log, "\n") {
				if len(l) > 5000 {
					t.Errorf("log line of %d bytes: long text is not capped", len(l))
				}
			}
			if strings.Contains(log, "\x00") || strings.Contains(log, "\u202e") {
				t.Error("NUL or bidi control in the log")
			}

			// JUnit: valid XML whatever the names; each name comes back.
			data, err := os.ReadFile(env["SPLX_JUNIT_PATH"])
			if err != nil {
				t.Fatal(err)
			}
			var junit struct {
				Suites []struct {
					Cases []struct {
						Name string `xml:"name,attr"`
					} `xml:"testcase"`
				} `xml:"testsuite"`
			}
			if err := xml.Unmarshal(data, &junit); err != nil {
				t.Fatalf("JUnit is not valid XML: %v", err)
			}
			if n := len(junit.Suites[0].Cases); n != len(hostile)+1 {
				t.Errorf("JUnit has %d test cases, want %d (one per probe and the gate, no injected ones)", n, len(hostile)+1)
			}
			if !slices.ContainsFunc(junit.Suites[0].Cases, func(c struct {
				Name string `xml:"name,attr"`
			}) bool {
				return c.Name == hostile[4]
			}) {
				t.Errorf("JUnit lacks the name %q", hostile[4])
			}

			// JSON: valid, names and status as sent (capped).
			data, err = os.ReadFile(env["SPLX_RESULTS_PATH"])
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Status string `json:"status"`
				Probes []struct {
					Name string `json:"name"`
				} `json:"probes"`
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatalf("results JSON: %v", err)
			}
			if doc.Status != status || doc.Probes[0].Name != hostile[0] || len(doc.Probes[11].Name) > 200 {
				t.Errorf("results JSON: status %q, first name %q, long name %d bytes", doc.Status, doc.Probes[0].Name, len(doc.Probes[11].Name))
			}

			switch platform {
			case "github":
				want := []string{"test-run-id", "status", "result", "total", "passed", "failed", "errors", "junit-path", "results-path"}
				for k := range r.outputs {
					if !contains(want, k) {
						t.Errorf("injected output %q", k)
					}
				}
				// An output from API text is one plain word, or UNKNOWN.
				if r.outputs["status"] != "UNKNOWN" || r.outputs["result"] != "timed-out" {
					t.Errorf("outputs: status %q result %q", r.outputs["status"], r.outputs["result"])
				}
				checkMarkdown(t, r.summary)
			case "gitlab":
				data, err := os.ReadFile(env["SPLX_DOTENV_PATH"])
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
					if !regexp.MustCompile(`^SPLX_[A-Z_]+=[A-Za-z0-9_./:@%+,~=?&-]*$`).MatchString(l) {
						t.Errorf("dotenv line %q", l)
					}
				}
				if !strings.Contains(string(data), "SPLX_STATUS=UNKNOWN\n") {
					t.Error("the hostile status was not replaced by UNKNOWN in the dotenv file")
				}
			case "circleci":
				cmd := exec.Command("sh", "-c", `. "$1"; printf %s "$SPLX_STATUS"`, "sh", env["BASH_ENV"])
				cmd.Dir = dir
				out, err := cmd.Output()
				if err != nil {
					t.Fatalf("sourcing BASH_ENV: %v", err)
				}
				if string(out) != "UNKNOWN" {
					t.Errorf("SPLX_STATUS read back as %q, want UNKNOWN", out)
				}
				if _, err := os.Stat(filepath.Join(dir, "PWNED3")); err == nil {
					t.Error("sourcing BASH_ENV ran a command")
				}
			}
		})
	}
}

// probeList is "1,2,…,n".
func probeList(n int) string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = strconv.Itoa(i + 1)
	}
	return strings.Join(ids, ",")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkMarkdown reads the summary's table the way a Markdown renderer
// does: every row keeps its 7 cells, and no raw HTML or link survives.
func checkMarkdown(t *testing.T, md string) {
	t.Helper()
	unescapedPipe := regexp.MustCompile(`(^|[^\\])\|`)
	want := 0 // the header's borders: every row has as many
	for _, l := range strings.Split(md, "\n") {
		if !strings.HasPrefix(l, "|") {
			want = 0
			continue
		}
		n := len(unescapedPipe.FindAllString(l, -1))
		if want == 0 {
			want = n
		}
		if n != want {
			t.Errorf("table row has %d cell borders, want %d: %q", n, want, l)
		}
	}
	for _, bad := range []string{"<script", "<b>", "](https://evil", "\x1b", "\n::"} {
		if strings.Contains(md, bad) {
			t.Errorf("summary contains %q", bad)
		}
	}
}
