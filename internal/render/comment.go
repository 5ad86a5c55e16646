package render

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/ci"
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
	// UI is the web UI's base URL, where the verdict appears when URL is
	// not known.
	UI string
}

// whereVerdict says where the verdict of a run not waited for appears.
func (s *Started) whereVerdict() string {
	if s.URL != "" {
		return fmt.Sprintf("on [its page in the SPLX Probe web UI](%s)", s.URL)
	}
	if s.UI != "" {
		return fmt.Sprintf("in the SPLX Probe web UI (%s), under target %d's test runs", s.UI, s.TargetID)
	}
	return fmt.Sprintf("in the SPLX Probe web UI, under target %d's test runs", s.TargetID)
}

// commentProbes is how many probe rows a comment shows before it folds the
// table into a <details> block: short enough to read on a phone.
const commentProbes = 8

// maxComment keeps a comment under GitHub's 65,536 characters.
const maxComment = 60000

// Problem is an exit that is not the verdict of a result: the settings were
// refused, the token rejected, the API failed, the job was cancelled, or a
// passed gate's report could not be written.
type Problem struct {
	// Headline replaces the verdict's, e.g. "⏹️ interrupted".
	Headline string
	// Detail says what happened; it may hold API text and is escaped.
	Detail string
	// Fix says what to do about it ("" when Detail says it).
	Fix string
	// Exit is the job's exit code.
	Exit int
}

// CommentInput is what a comment shows.
type CommentInput struct {
	Marker, Key, Version string
	// Result is the run's result (nil when none was read).
	Result *gate.Result
	// Started is a run triggered without waiting (nil otherwise).
	Started *Started
	// Problem is set when the job's exit is not Result's verdict.
	Problem *Problem
	// Commit, CommitURL, RunURL and Time tell a fresh comment from an old
	// one: the commit tested, the workflow run, and when.
	Commit, CommitURL, RunURL string
	Time                      time.Time
	// RunLabel names what RunURL shows ("" is a GitHub workflow run).
	RunLabel string
}

// Comment renders the pull request comment: the verdict's mark first and
// why (or what happened instead), the run's link and the gate, then the
// probes worst first (each probe that breaks the gate always shown; with
// many probes, the rest folded), or, for a run not waited for, that this
// job does not wait and where the verdict will appear; then the commit, the
// time and the workflow run. API text is escaped and its mentions,
// references and URLs made inert.
func Comment(in CommentInput) string {
	var b, foot strings.Builder
	// The footer is always shown: the probes get what it leaves.
	footer(&foot, in)
	budget := maxComment - foot.Len() - commentReserve
	b.WriteString(in.Marker + "\n")
	r, s := in.Result, in.Started
	switch {
	case in.Problem != nil:
		fmt.Fprintf(&b, "### %s\n\n", problemTitle(in.Problem.Headline))
		fmt.Fprintf(&b, "%s (exit %d).\n\n", strings.TrimRight(escape.CommentCell(in.Problem.Detail, 1500), "."), in.Problem.Exit)
		if in.Problem.Fix != "" {
			fmt.Fprintf(&b, "**The fix:** %s\n\n", escape.CommentCell(in.Problem.Fix, 1000))
		}
		if r != nil && r.Verdict == gate.Passed {
			b.WriteString("The gate passed, but the job failed, so this is not a pass.\n\n")
		}
	case r == nil && s != nil:
		b.WriteString("### ⏳ SPLX Probe red team: started, not waited for\n\n")
		fmt.Fprintf(&b, "%s on target %d with probes %s. **This job does not wait for the run** (`wait: false`), so this comment will not change when it ends: its verdict will appear %s. Set `wait: true` to have the verdict here.\n",
			runLink(s.TestRunID, s.URL), s.TargetID, gate.JoinIDs(s.ProbeIDs), s.whereVerdict())
		b.WriteString(reusedLine(s.Reused, escape.CommentCell))
	case r != nil:
		fmt.Fprintf(&b, "### %s\n\n", Title(r.Verdict))
	}
	if r != nil {
		resultBody(&b, r, budget)
	}
	out := b.String()
	if len(out) > budget+commentReserve {
		// Only a header of untrusted text this long gets here.
		out = escape.Truncate(out, budget) + "\n\n(cut to fit a comment: see the job summary)\n"
	}
	return out + foot.String()
}

// problemTitle puts a problem's mark first: "❓ SPLX Probe red team: no
// verdict: …".
func problemTitle(headline string) string {
	mark, rest, ok := strings.Cut(headline, " ")
	if !ok {
		return "SPLX Probe red team: " + headline
	}
	return mark + " SPLX Probe red team: " + rest
}

// commentReserve is what the lines after the last probe row take at most:
// the count of the probes left out and the end of the details block.
const commentReserve = 300

// resultBody is the reason, the run, the gate and the probe table of a
// result. Every probe that breaks the gate is in the table that is always
// shown; with more than commentProbes probes, the others that matter fill
// it up to that size and the rest fold into a <details> block. Rows are
// rendered only while the comment stays within budget; the rest are
// counted, never rendered.
func resultBody(b *strings.Builder, r *gate.Result, budget int) {
	run := runLink(r.TestRunID, r.URL)
	if r.TargetID != 0 {
		run += fmt.Sprintf(" on target %d", r.TargetID)
	}
	fmt.Fprintf(b, "**%s.** %s. Gate: %s.", capital(strings.TrimRight(escape.CommentCell(r.Reason, 600), ".")), run, r.Thresholds.Describe())
	if base := r.Thresholds.Baseline; base != nil {
		fmt.Fprintf(b, " Against %s: %s, %d improved.", baselineRun(base), plural(r.Regressions, "probe regressed", "probes regressed"), r.Improvements)
	}
	b.WriteString("\n")
	b.WriteString(reusedLine(r.Reused, escape.CommentCell))
	b.WriteString("\n")
	all := Ordered(r.Probes)
	shown := all
	if len(all) > commentProbes {
		n := 0
		for n < len(all) && (ToneOf(all[n]) == ci.ToneBad || n < commentProbes && ToneOf(all[n]) != ci.ToneGood) {
			n++
		}
		shown = all[:n]
	}
	if len(shown) > 0 {
		commentTable(b, shown, r.Thresholds, budget)
	}
	if rest := all[len(shown):]; len(rest) > 0 {
		if len(shown) > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(b, "<details><summary>%s</summary>\n\n", foldSummary(rest, len(shown) > 0))
		commentTable(b, rest, r.Thresholds, budget)
		b.WriteString("\n</details>\n")
	}
	var unknown []string
	size := b.Len()
	for _, p := range shown {
		if ToneOf(p) == ci.ToneUnknown && p.Reason != "" {
			line := fmt.Sprintf("- ❓ %s: %s", escape.CommentCell(nameOf(p), 100), escape.CommentCell(p.Reason, 300))
			if size += len(line) + 1; size > budget {
				break
			}
			unknown = append(unknown, line)
		}
	}
	if len(unknown) > 0 {
		b.WriteString("\nNo verdict:\n\n" + strings.Join(unknown, "\n") + "\n")
	}
	if len(r.Removed) > 0 {
		fmt.Fprintf(b, "\nIn the baseline but not in this run: %s.\n", removedNames(r, func(s string) string { return escape.CommentCell(s, 100) }))
	}
}

// foldSummary says what a fold holds: "32 more probes: 3 with findings
// within the gate, 29 clean".
func foldSummary(rest []gate.Probe, more bool) string {
	counts := map[ci.Tone]int{}
	for _, p := range rest {
		counts[ToneOf(p)]++
	}
	var parts []string
	for _, t := range []struct {
		tone ci.Tone
		one  string
	}{{ci.ToneUnknown, "without a verdict"}, {ci.ToneWarn, "with findings within the gate"}, {ci.ToneGood, "clean"}} {
		if n := counts[t.tone]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, t.one))
		}
	}
	head := "All " + gate.Plural(int64(len(rest)), "probe")
	if more {
		head = gate.Plural(int64(len(rest)), "more probe")
	}
	return head + ": " + strings.Join(parts, ", ")
}

// commentTable is a compact table for narrow screens: the mark and a short
// verdict first, then the probe, its findings and errors; as many rows as
// keep the comment within budget, then a line that counts the rest.
func commentTable(b *strings.Builder, probes []gate.Probe, t gate.Thresholds, budget int) {
	baseline := t.Baseline != nil
	if baseline {
		b.WriteString("| Verdict | Probe | Failed | Errors | vs baseline |\n|---|---|---:|---:|---|\n")
	} else {
		b.WriteString("| Verdict | Probe | Failed | Errors |\n|---|---|---:|---:|\n")
	}
	n := 0
	var row strings.Builder
	for _, p := range probes {
		row.Reset()
		failed := fmt.Sprintf("%d of %d (%s%%)", p.Failed, p.Total, gate.FormatPercent(p.FailedPercent))
		fmt.Fprintf(&row, "| %s %s | %s | %s | %d |", Mark(p), Short(p, t), escape.CommentCell(nameOf(p), 100), failed, p.Errors)
		if baseline {
			fmt.Fprintf(&row, " %s |", Delta(p, t.MaxRegressionPercent))
		}
		row.WriteString("\n")
		if b.Len()+row.Len() > budget {
			break
		}
		b.WriteString(row.String())
		n++
	}
	if n < len(probes) {
		fmt.Fprintf(b, "\n…and %s (cut to fit a comment: see the job summary).\n", gate.Plural(int64(len(probes)-n), "more probe"))
	}
}

func runLink(id int32, url string) string {
	if url != "" {
		return fmt.Sprintf("[Test run %d](%s)", id, url)
	}
	return fmt.Sprintf("Test run %d", id)
}

// footer names the commit, the time and the workflow run, so that a
// reader can tell a fresh comment from one a later run failed to update,
// and says in plain words that the next run edits this comment.
func footer(b *strings.Builder, in CommentInput) {
	var parts []string
	if in.Commit != "" {
		c := "commit " + escape.CommentCell(in.Commit, 40)
		if in.CommitURL != "" {
			c = fmt.Sprintf("commit [%s](%s)", escape.MarkdownCell(in.Commit, 40), in.CommitURL)
		}
		parts = append(parts, c)
	}
	if !in.Time.IsZero() {
		parts = append(parts, in.Time.UTC().Format("2006-01-02 15:04:05 UTC"))
	}
	if in.RunURL != "" {
		label := in.RunLabel
		if label == "" {
			label = "workflow run"
		}
		parts = append(parts, fmt.Sprintf("[%s](%s)", label, in.RunURL))
	}
	parts = append(parts, "splx-probe-action "+escape.CommentCell(in.Version, 40))
	fmt.Fprintf(b, "\n<sub>%s. The next run of this check edits this comment (its key: %s).</sub>\n", strings.Join(parts, " · "), escape.CommentCell(in.Key, 200))
}

// StartedSummary is the job summary of a run triggered without waiting:
// that this job does not wait, and where the verdict will appear.
func StartedSummary(s *Started) string {
	return fmt.Sprintf("## ⏳ SPLX Probe red team: started, not waited for\n\n%s on target %d with probes %s. **This job does not wait for the run** (`wait: false`) and passed on the trigger alone: its verdict will appear %s. Set `wait: true` to gate the job on its findings.\n",
		runLink(s.TestRunID, s.URL), s.TargetID, gate.JoinIDs(s.ProbeIDs), s.whereVerdict()) + reusedLine(s.Reused, escape.MarkdownCell)
}

// reusedLine is the line that says the run was reused ("" when it was
// not), its note escaped by cell for the comment or the summary.
func reusedLine(note string, cell func(string, int) string) string {
	if note == "" {
		return ""
	}
	return "\n♻️ Test run " + cell(note, 200) + ".\n"
}

// ExitSummary is the job summary of an exit without results (settings
// refused, the token rejected, the API failed, the job cancelled): what
// happened, the fix, and the run's link when a run exists.
func ExitSummary(p *Problem, testRunID int32, url string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", problemTitle(p.Headline))
	fmt.Fprintf(&b, "**What happened:** %s (exit %d).\n\n", strings.TrimRight(escape.MarkdownCell(p.Detail, 1500), "."), p.Exit)
	if p.Fix != "" {
		fmt.Fprintf(&b, "**The fix:** %s\n\n", escape.MarkdownCell(p.Fix, 1000))
	}
	if testRunID != 0 {
		fmt.Fprintf(&b, "**The run:** %s.\n", runLink(testRunID, url))
	} else {
		b.WriteString("No test run was started by this job.\n")
	}
	return b.String()
}

// Checklist is doctor's job summary: its verdict, then one line per check
// with its mark.
func Checklist(verdict string, lines []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## SPLX Probe doctor: %s\n\n", escape.MarkdownCell(verdict, 1000))
	for _, l := range lines {
		fmt.Fprintf(&b, "- %s\n", escape.MarkdownCell(l, 2000))
	}
	b.WriteString("\n✓ passed · ✗ failed · ! a real run would warn · – not applicable. The doctor triggers nothing and spends no credits.\n")
	return b.String()
}
