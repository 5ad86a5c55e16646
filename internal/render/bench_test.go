package render

import (
	"fmt"
	"io"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/probe"
)

func bigResult(n int) *gate.Result {
	st := &probe.TestRunStatus{TestRunID: 1, Status: "FINISHED"}
	for i := 0; i < n; i++ {
		st.ProbeRuns = append(st.ProbeRuns, probe.Run{ProbeName: fmt.Sprintf("Probe <%d> | jailbreak", i), TotalCount: 125, PassedCount: 100, FailedCount: 20, ErrorCount: 5, Status: "FINISHED"})
	}
	return gate.Evaluate(st, gate.Thresholds{}, nil, "https://probe.splx.ai/w/ws/target/1/test-runs/1")
}

// BenchmarkRender measures each report for a run of 2,000 probe runs:
// the job summary, JUnit, the results file, SARIF and the pull request
// comment.
func BenchmarkRender(b *testing.B) {
	r := bigResult(2000)
	b.Run("markdown", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = Markdown(r, "")
		}
	})
	b.Run("junit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := JUnit(io.Discard, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := JSON(io.Discard, r, "bench"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sarif", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := SARIF(io.Discard, r, SARIFOptions{Location: ".github/workflows/red-team.yml", Version: "bench"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("comment", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = Comment(CommentInput{Marker: CommentMarker("bench"), Key: "bench", Version: "bench", Result: r})
		}
	})
}
