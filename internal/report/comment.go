package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

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

// Problem is an exit that is not the verdict of a result: the settings were
// refused, the token rejected, the API failed, the job was cancelled, or a
// passed gate's report could not be written.
type Problem struct {
	// Headline replaces the verdict's, e.g. "⏹️ interrupted".
	Headline string
	// Detail says what happened; it may hold API text and is escaped.
	Detail string
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
}

// Comment renders the pull request comment: the verdict (or what happened
// instead), the gate, the run's link and the probes (the ones that matter
// first; the full table folded when there are many), or, for a run not
// waited for, that it started; then the commit, the time and the workflow
// run. API text is escaped and its mentions, references and URLs made
// inert.
func Comment(in CommentInput) string {
	var b strings.Builder
	b.WriteString(in.Marker + "\n")
	r, s := in.Result, in.Started
	switch {
	case in.Problem != nil:
		fmt.Fprintf(&b, "### SPLX Probe red team: %s\n\n", in.Problem.Headline)
		fmt.Fprintf(&b, "%s (exit %d).\n\n", strings.TrimRight(escape.CommentCell(in.Problem.Detail, 1500), "."), in.Problem.Exit)
		if r != nil && r.Verdict == gate.Passed {
			b.WriteString("The gate passed, but the job failed, so this is not a pass.\n\n")
		}
	case r == nil && s != nil:
		b.WriteString("### SPLX Probe red team: ⏳ test run started\n\n")
		fmt.Fprintf(&b, "%s on target %d with probes %s. The job did not wait for it (`wait: false`): its findings are in the SPLX Probe web UI.\n",
			runLink(s.TestRunID, s.URL), s.TargetID, JoinIDs(s.ProbeIDs))
		reused(&b, s.Reused)
	case r != nil:
		fmt.Fprintf(&b, "### SPLX Probe red team: %s\n\n", Headline(r.Verdict))
	}
	if r != nil {
		resultBody(&b, r)
	}
	footer(&b, in)
	out := b.String()
	if len(out) > maxComment {
		out = escape.Truncate(out, maxComment) + "\n\n(cut to fit a comment: see the job summary)\n"
	}
	return out
}

// resultBody is the run, the gate and the probe tables of a result.
func resultBody(b *strings.Builder, r *gate.Result) {
	run := runLink(r.TestRunID, r.URL)
	if r.TargetID != 0 {
		run += fmt.Sprintf(" on target %d", r.TargetID)
	}
	fmt.Fprintf(b, "%s: %s.\n", run, escape.CommentCell(r.Reason, 600))
	reused(b, r.Reused)
	fmt.Fprintf(b, "\nGate: %s.", r.Thresholds.Describe())
	if r.Thresholds.Baseline != nil {
		fmt.Fprintf(b, " Against the baseline: %d regressed, %d improved.", r.Regressions, r.Improvements)
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
		commentTable(b, all, r.Thresholds.Baseline != nil)
		return
	}
	if len(first) > 0 {
		commentTable(b, first[:min(len(first), commentProbes)], r.Thresholds.Baseline != nil)
		if len(first) > commentProbes {
			fmt.Fprintf(b, "\n…and %d more probes with findings.\n", len(first)-commentProbes)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "<details><summary>All %d probes</summary>\n\n", len(all))
	commentTable(b, all, r.Thresholds.Baseline != nil)
	b.WriteString("\n</details>\n")
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
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", escape.CommentCell(nameOf(p), 100), failed, Delta(p), commentVerdict(p))
		} else {
			fmt.Fprintf(b, "| %s | %s | %s |\n", escape.CommentCell(nameOf(p), 100), failed, commentVerdict(p))
		}
	}
}

// commentVerdict is probeVerdict with its reason made inert.
func commentVerdict(p gate.Probe) string {
	switch p.Verdict {
	case gate.Failed:
		return "❌ " + escape.CommentCell(p.Reason, 300)
	case gate.NoVerdict:
		return "⚠️ no verdict: " + escape.CommentCell(p.Reason, 300)
	}
	return probeVerdict(p)
}

// reused adds the line that says the run was reused (none when it was not).
func reused(b *strings.Builder, note string) {
	if note != "" {
		fmt.Fprintf(b, "\n♻️ Test run %s.\n", escape.CommentCell(note, 200))
	}
}

func runLink(id int32, url string) string {
	if url != "" {
		return fmt.Sprintf("[Test run %d](%s)", id, url)
	}
	return fmt.Sprintf("Test run %d", id)
}

// footer names the commit, the time and the workflow run, so that a
// reader can tell a fresh comment from one a later run failed to update.
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
		parts = append(parts, fmt.Sprintf("[workflow run](%s)", in.RunURL))
	}
	parts = append(parts, "splx-probe-action "+escape.CommentCell(in.Version, 40), "updated by "+escape.CommentCell(in.Key, 200)+" on every run")
	fmt.Fprintf(b, "\n<sub>%s</sub>\n", strings.Join(parts, " · "))
}

// JoinIDs prints ids as "1, 2, 3".
func JoinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ", ")
}
