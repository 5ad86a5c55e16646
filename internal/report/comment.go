package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"iter"
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
	var b, foot strings.Builder
	// The footer is always shown: the probes get what it leaves.
	footer(&foot, in)
	budget := maxComment - foot.Len() - commentReserve
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
	case r != nil:
		fmt.Fprintf(&b, "### SPLX Probe red team: %s\n\n", Headline(r.Verdict))
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

// commentReserve is what the lines after the last probe row take at most:
// the count of the probes left out and the end of the details block.
const commentReserve = 300

// resultBody is the run, the gate and the probe tables of a result. Rows
// are rendered only while the comment stays within budget; the rest are
// counted, never rendered.
func resultBody(b *strings.Builder, r *gate.Result, budget int) {
	run := runLink(r.TestRunID, r.URL)
	if r.TargetID != 0 {
		run += fmt.Sprintf(" on target %d", r.TargetID)
	}
	fmt.Fprintf(b, "%s: %s.\n\nGate: %s.", run, escape.CommentCell(r.Reason, 600), r.Thresholds.Describe())
	baseline := r.Thresholds.Baseline != nil
	if baseline {
		fmt.Fprintf(b, " Against the baseline: %d regressed, %d improved.", r.Regressions, r.Improvements)
	}
	b.WriteString("\n\n")
	total, first := len(r.Probes), 0
	for _, p := range r.Probes {
		if matters(p) {
			first++
		}
	}
	if total <= commentProbes {
		commentTable(b, ordered(r, false), total, baseline, budget)
		return
	}
	if first > 0 {
		n := commentTable(b, ordered(r, true), commentProbes, baseline, budget)
		if first > n {
			fmt.Fprintf(b, "\n…and %d more probes with findings.\n", first-n)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "<details><summary>All %d probes</summary>\n\n", total)
	if n := commentTable(b, ordered(r, false), total, baseline, budget); n < total {
		fmt.Fprintf(b, "\n…and %d more probes (cut to fit a comment: see the job summary).\n", total-n)
	}
	b.WriteString("\n</details>\n")
}

// matters is a probe shown first: over the gate, regressed, no verdict,
// with findings.
func matters(p gate.Probe) bool {
	return p.Verdict == gate.Failed || p.Verdict == gate.NoVerdict || p.Change == gate.Regressed || p.Failed > 0
}

// ordered yields the probes that matter first, then (unless onlyFirst)
// the rest, in the run's order within each group, without copying them.
func ordered(r *gate.Result, onlyFirst bool) iter.Seq[*gate.Probe] {
	return func(yield func(*gate.Probe) bool) {
		for pass := 0; pass < 2 && (pass == 0 || !onlyFirst); pass++ {
			for i := range r.Probes {
				if p := &r.Probes[i]; matters(*p) == (pass == 0) && !yield(p) {
					return
				}
			}
		}
	}
}

// commentTable is a compact table for narrow screens: at most max rows of
// probes, as many as keep the comment within budget. It returns how many
// rows it wrote.
func commentTable(b *strings.Builder, probes iter.Seq[*gate.Probe], max int, baseline bool, budget int) int {
	if baseline {
		b.WriteString("| Probe | Failed | vs baseline | Verdict |\n|---|---:|---:|---|\n")
	} else {
		b.WriteString("| Probe | Failed | Verdict |\n|---|---:|---|\n")
	}
	n := 0
	for p := range probes {
		if n == max {
			break
		}
		failed := fmt.Sprintf("%d of %d (%s%%)", p.Failed, p.Total, FormatPercent(p.FailedPercent))
		var row string
		if baseline {
			row = fmt.Sprintf("| %s | %s | %s | %s |\n", escape.CommentCell(nameOf(*p), 100), failed, Delta(*p), commentVerdict(*p))
		} else {
			row = fmt.Sprintf("| %s | %s | %s |\n", escape.CommentCell(nameOf(*p), 100), failed, commentVerdict(*p))
		}
		if b.Len()+len(row) > budget {
			break
		}
		b.WriteString(row)
		n++
	}
	return n
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
