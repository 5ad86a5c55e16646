package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/gate"
)

// CommentMarker is the hidden line by which the tool finds its own comment
// for a comment key on a pull request again.
func CommentMarker(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "<!-- splx-probe-action comment " + hex.EncodeToString(sum[:12]) + " -->"
}

// Started describes a run that was triggered without waiting for it.
type Started struct {
	TestRunID int32
	TargetID  int32
	URL       string
	ProbeIDs  []int32
	// Reused, when set, says that an earlier attempt triggered the run.
	Reused string
}

// commentProbes is how many probe rows a comment shows before it folds the
// table into a <details> block: short enough to read on a phone.
const commentProbes = 8

// maxComment keeps a comment under GitHub's 65,536 characters.
const maxComment = 60000

// Comment renders the pull request comment: the verdict, the gate, the run's
// link and the probes (the ones that matter first; the full table folded
// when there are many), or, for a run not waited for, that it started. key
// is shown so that readers know which step keeps the comment up to date.
func Comment(marker, key, version string, r *gate.Result, s *Started) string {
	var b strings.Builder
	b.WriteString(marker + "\n")
	if r == nil {
		b.WriteString("### SPLX Probe red team: ⏳ test run started\n\n")
		fmt.Fprintf(&b, "%s on target %d with probes %s. The job did not wait for it (`wait: false`): its findings are in the SPLX Probe web UI.\n",
			runLink(s.TestRunID, s.URL), s.TargetID, JoinIDs(s.ProbeIDs))
		reused(&b, s.Reused)
		footer(&b, key, version)
		return b.String()
	}
	fmt.Fprintf(&b, "### SPLX Probe red team: %s\n\n", Headline(r.Verdict))
	run := runLink(r.TestRunID, r.URL)
	if r.TargetID != 0 {
		run += fmt.Sprintf(" on target %d", r.TargetID)
	}
	fmt.Fprintf(&b, "%s: %s.\n", run, escape.MarkdownCell(r.Reason, 600))
	reused(&b, r.Reused)
	fmt.Fprintf(&b, "\nGate: %s.", r.Thresholds.Describe())
	if r.Thresholds.Baseline != nil {
		fmt.Fprintf(&b, " Against the baseline: %d regressed, %d improved.", r.Regressions, r.Improvements)
	}
	b.WriteString("\n\n")
	// The probes that matter first: over the gate, regressed, no verdict,
	// with findings; then the rest.
	var first, rest []gate.Probe
	for _, p := range r.Probes {
		if p.Verdict == gate.Failed || p.Verdict == gate.NoVerdict || p.Change == gate.Regressed || p.Failed > 0 {
			first = append(first, p)
		} else {
			rest = append(rest, p)
		}
	}
	all := append(append([]gate.Probe{}, first...), rest...)
	if len(all) <= commentProbes {
		commentTable(&b, all, r.Thresholds.Baseline != nil)
	} else {
		if len(first) > 0 {
			commentTable(&b, first[:min(len(first), commentProbes)], r.Thresholds.Baseline != nil)
			if len(first) > commentProbes {
				fmt.Fprintf(&b, "\n…and %d more probes with findings.\n", len(first)-commentProbes)
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "<details><summary>All %d probes</summary>\n\n", len(all))
		commentTable(&b, all, r.Thresholds.Baseline != nil)
		b.WriteString("\n</details>\n")
	}
	footer(&b, key, version)
	out := b.String()
	if len(out) > maxComment {
		out = escape.Truncate(out, maxComment) + "\n\n(cut to fit a comment: see the job summary)\n"
	}
	return out
}

// commentTable is a compact table for narrow screens.
func commentTable(b *strings.Builder, probes []gate.Probe, baseline bool) {
	if baseline {
		b.WriteString("| Probe | Failed | vs baseline | Verdict |\n|---|---:|---:|---|\n")
	} else {
		b.WriteString("| Probe | Failed | Verdict |\n|---|---:|---|\n")
	}
	for _, p := range probes {
		failed := fmt.Sprintf("%d of %d (%s%%)", p.Failed, p.Total, FormatPercent(p.FailedPercent))
		if baseline {
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", escape.MarkdownCell(p.Name, 100), failed, Delta(p), probeVerdict(p))
		} else {
			fmt.Fprintf(b, "| %s | %s | %s |\n", escape.MarkdownCell(p.Name, 100), failed, probeVerdict(p))
		}
	}
}

// reused adds the line that says the run was reused (none when it was not).
func reused(b *strings.Builder, note string) {
	if note != "" {
		fmt.Fprintf(b, "\n♻️ Test run %s.\n", escape.MarkdownCell(note, 200))
	}
}

func runLink(id int32, url string) string {
	if url != "" {
		return fmt.Sprintf("[Test run %d](%s)", id, url)
	}
	return fmt.Sprintf("Test run %d", id)
}

func footer(b *strings.Builder, key, version string) {
	fmt.Fprintf(b, "\n<sub>splx-probe-action %s · updated by %s on every run</sub>\n", escape.MarkdownCell(version, 40), escape.MarkdownCell(key, 200))
}

// JoinIDs prints ids as "1, 2, 3".
func JoinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ", ")
}
