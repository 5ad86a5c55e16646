package cli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/golden"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// manyProbes are 36 probes in API order: five over a 5% gate, scattered
// (one last), ten with findings within it, the rest clean.
func manyProbes() []fakeapi.Probe {
	var probes []fakeapi.Probe
	over := map[int]bool{3: true, 11: true, 20: true, 29: true, 36: true}
	for i := 1; i <= 36; i++ {
		p := fakeapi.Probe{ID: int32(i), Name: fmt.Sprintf("Probe %02d", i), Total: 100}
		switch {
		case over[i]:
			p.Failed = int64(5 + i) // 8% to 41%
		case i%3 == 0:
			p.Failed = int64(i % 5) // within the gate
		}
		probes = append(probes, p)
	}
	return probes
}

// TestManyProbesWorstFirst renders the comment and the summary of a
// 36-probe run through the whole flow: every probe over the gate is outside
// any <details> block, and every report lists them first, worst first.
func TestManyProbesWorstFirst(t *testing.T) {
	t.Parallel()
	api := testenv.NewAPI(t, fakeapi.WithProbes(manyProbes()...), fakeapi.WithSteps(0))
	gh := newGitHub(t)
	r := invoke(t, context.Background(), prEnv(t, api, gh, "pull_request", "SPLX_PROBE_IDS", probeList(36), "SPLX_MAX_FAILED", "", "SPLX_MAX_FAILED_PERCENT", "5"))
	if r.code != cli.ExitGateFailed {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	comment := onlyComment(t, gh)
	checkGolden(t, "screens/36-probes.comment.md", comment)
	checkGolden(t, "screens/36-probes.summary.md", r.summary)
	worst := []string{"Probe 36", "Probe 29", "Probe 20", "Probe 11", "Probe 03"}
	visible := regexp.MustCompile(`(?s)<details>.*?</details>`).ReplaceAllString(comment, "")
	for _, name := range worst {
		if !strings.Contains(visible, "| ❌ over 5% | "+name+" |") {
			t.Errorf("%s, over the gate, is not in the comment's visible table:\n%s", name, comment)
		}
	}
	if !strings.Contains(comment, "<details>") {
		t.Errorf("36 probes and nothing folded:\n%s", comment)
	}
	table := r.stdout[regexp.MustCompile(`(?m)^Probe +Status`).FindStringIndex(r.stdout)[0]:] // the log's results table
	for what, text := range map[string]string{"comment": comment, "summary": r.summary, "log": table} {
		if got := order(text, worst); got != strings.Join(worst, ",") {
			t.Errorf("%s lists the probes over the gate as %s, want worst first", what, got)
		}
		// No probe that is not over the gate comes before the last one
		// that is.
		last := strings.Index(text, "Probe 03")
		for _, p := range manyProbes() {
			if p.Failed <= 5 && strings.Contains(text[:max(last, 0)], p.Name+" ") {
				t.Errorf("%s shows %s before a probe over the gate", what, p.Name)
			}
		}
	}
	// The verdict is the first annotation, then the probes over the gate.
	var annotations []string
	for _, l := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(l, "::error") || strings.HasPrefix(l, "::warning") {
			annotations = append(annotations, l)
		}
	}
	if len(annotations) < 2 || !strings.HasPrefix(annotations[0], "::error title=SPLX Probe gate failed::") || !strings.HasPrefix(annotations[1], "::error title=Probe over threshold%3A Probe 36::") {
		t.Errorf("annotations, verdict first:\n%s", strings.Join(annotations, "\n"))
	}
}

// order lists the names in the order text shows them.
func order(text string, names []string) string {
	type at struct {
		name string
		i    int
	}
	var found []at
	for _, n := range names {
		if i := strings.Index(text, n+" "); i >= 0 {
			found = append(found, at{n, i})
		}
	}
	for i := range found {
		for j := i + 1; j < len(found); j++ {
			if found[j].i < found[i].i {
				found[i], found[j] = found[j], found[i]
			}
		}
	}
	out := make([]string, len(found))
	for i, f := range found {
		out[i] = f.name
	}
	return strings.Join(out, ",")
}

// ansi is an SGR or erase-line escape, which take no columns.
var ansi = regexp.MustCompile(`\x1b\[[0-9;]*[mK]`)

// TestProgressFitsTheTerminal: on a terminal every redraw of the progress
// line fits the width the terminal reports, so no update wraps and leaves
// a row behind; the width comes from the injected source, as it would from
// TIOCGWINSZ.
func TestProgressFitsTheTerminal(t *testing.T) {
	t.Parallel()
	long := []fakeapi.Probe{}
	for i := 1; i <= 9; i++ {
		long = append(long, fakeapi.Probe{ID: int32(i), Name: fmt.Sprintf("A rather long probe name number %d", i), Total: 125, Failed: 1})
	}
	for _, width := range []int{40, 80, 120, 200} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, fakeapi.WithProbes(long...), fakeapi.WithSteps(3))
			yes := true
			r := invokeWith(t, context.Background(), testenv.With(baseEnv(api), "SPLX_WAIT", "true", "SPLX_POLL_INTERVAL", "1s", "SPLX_PROBE_IDS", probeList(9), "SPLX_MAX_FAILED", "100"),
				func(c *cli.Command) { c.TTY, c.Width = &yes, func() int { return width } })
			if r.code != cli.ExitOK {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			redraws := 0
			for _, l := range strings.Split(r.stdout, "\n") {
				segments := strings.Split(l, "\r")
				if len(segments) == 1 {
					continue
				}
				for _, seg := range segments[1:] {
					redraws++
					if n := utf8.RuneCountInString(ansi.ReplaceAllString(seg, "")); n >= width {
						t.Errorf("progress line of %d columns on a %d-column terminal: %q", n, width, seg)
					}
					if width >= 80 && !strings.Contains(seg, " of 30m") {
						t.Errorf("progress line without the time against the timeout: %q", seg)
					}
				}
			}
			if redraws < 3 {
				t.Errorf("%d progress redraws, want one per poll:\n%q", redraws, r.stdout)
			}
		})
	}
}

// TestEveryExitWritesASummary: a run not waited for and an exit without
// results each leave a short job summary: what happened, the fix, the run.
func TestEveryExitWritesASummary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kv   []string
		want []string
	}{
		{"trigger only", []string{"SPLX_WAIT", "false", "SPLX_WORKSPACE_ID", "163"}, []string{
			"## ⏳ SPLX Probe red team: started, not waited for",
			"[Test run 1001](https://probe.splx.ai/w/163/target/42/test-runs/1001) on target 42 with probes 1, 2, 3",
			"**This job does not wait for the run**", "Set `wait: true`"}},
		{"token rejected", []string{"SPLX_API_KEY", "tok-WRONG-123"}, []string{
			"## ❓ SPLX Probe red team: no verdict: splx probe authentication failed",
			"**What happened:** SPLX Probe authentication failed: ", "(exit 3)",
			"**The fix:** The token is missing, wrong or expired", "No test run was started by this job."}},
		{"settings refused", []string{"SPLX_TARGET_ID", "x"}, []string{
			"## ❓ SPLX Probe red team: no verdict: invalid input", "target-id", "(exit 2)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t, fakeapi.WithSteps(0))
			env := testenv.With(baseEnv(api), githubEnvPairs(t, t.TempDir())...)
			r := invoke(t, context.Background(), testenv.With(env, tt.kv...))
			for _, w := range tt.want {
				if !strings.Contains(r.summary, w) {
					t.Errorf("summary lacks %q:\n%s", w, r.summary)
				}
			}
		})
	}
}

// TestDoctorSummary: doctor writes its checklist to the job summary too.
func TestDoctorSummary(t *testing.T) {
	t.Parallel()
	api := testenv.NewAPI(t)
	env := testenv.With(baseEnv(api), githubEnvPairs(t, t.TempDir())...)
	r := invoke(t, context.Background(), env, "doctor")
	if r.code != cli.ExitOK {
		t.Fatalf("doctor: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, w := range []string{"## SPLX Probe doctor: all checks passed", "- ✓ settings: valid", "- ✓ token: "} {
		if !strings.Contains(r.summary, w) {
			t.Errorf("summary lacks %q:\n%s", w, r.summary)
		}
	}
}

// TestDemoPreviews: demo writes the comment and the job summary it would
// post. The README's picture is rendered from docs/preview/*.md (by
// docs/render-preview.sh, which runs this test with -update first), so the
// picture's source is always what the demo writes.
func TestDemoPreviews(t *testing.T) {
	t.Parallel()
	r := invokeWith(t, context.Background(), map[string]string{}, func(c *cli.Command) { c.Version = "v1.0.0" }, "demo", "--probe-ids", "1,2,3,4")
	if r.code != cli.ExitGateFailed {
		t.Fatalf("demo: exit %d\n%s", r.code, r.stderr)
	}
	for _, name := range []string{"comment", "summary"} {
		data, err := os.ReadFile(filepath.Join(r.dir, "preview-"+name+".md"))
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, filepath.Join("..", "..", "docs", "preview", name+".md"), string(data))
	}
}
