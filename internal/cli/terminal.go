package cli

import (
	"os"
	"path/filepath"
	"strconv"

	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/deliver"
	"github.com/splx-ai/splx-probe-action/internal/render"
)

// width is the terminal's width in columns, for a progress line that must
// never wrap: the injected source, else what the terminal says, else
// COLUMNS, else 80.
func (c *Command) width(env map[string]string) int {
	if c.Width != nil {
		return c.Width()
	}
	if f, ok := c.Stdout.(*os.File); ok {
		if w := termWidth(f); w > 0 {
			return w
		}
	}
	if n, err := strconv.Atoi(env["COLUMNS"]); err == nil && n > 0 && n < 10000 {
		return n
	}
	return 80
}

// Preview file names: what demo would post, written where it runs.
const (
	previewComment = "preview-comment.md"
	previewSummary = "preview-summary.md"
)

// summaryRecorder keeps the job summary a demo would post, for its
// preview, and passes it on.
type summaryRecorder struct {
	ci.Reporter
	md string
}

func (s *summaryRecorder) Summary(markdown string) {
	s.md += markdown
	s.Reporter.Summary(markdown)
}

// previews writes the pull request comment and the job summary the demo's
// run would post, so that a team sees them before wiring a token. The
// comment names the workflow and job of the README's example.
func (c *Command) previews(rec *summaryRecorder, r *deliver.Run) {
	demo := *r
	if demo.CI.Workflow == "" {
		demo.CI.Workflow, demo.CI.Job = "red team", "red-team"
	}
	if demo.Settings == nil {
		demo.Settings = &config.Config{}
	}
	comment := demo.Redact.String(render.Comment(deliver.CommentInput(&demo)))
	for name, text := range map[string]string{previewComment: comment, previewSummary: demo.Redact.String(rec.md)} {
		path := filepath.Join(c.Dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			rec.Warning("Demo preview", "could not write "+path+": "+err.Error())
		}
	}
}
