package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/exitcode"
)

// helpWidth is the width --help wraps to: it reads on an 80-column
// terminal.
const helpWidth = 80

// helpIndent is where a setting's description starts.
const helpIndent = 26

// writeHelp lists each setting once, in its group, with its variable and
// default, and ends with two examples and the exit codes.
func writeHelp(w io.Writer) {
	fmt.Fprint(w, `splx-probe: trigger an SPLX Probe red-team test run from CI, wait for it,
gate the job on its findings and report them.

Usage:
  splx-probe [flags]          trigger a test run (and wait, with --wait)
  splx-probe doctor [flags]   check the setup; triggers nothing
  splx-probe demo [flags]     the whole flow against a fake API, no account
  splx-probe --print-config   every effective setting and where it came from

Each --flag is also an action input (target-id) and a variable (SPLX_TARGET_ID),
in that order of precedence; blank counts as unset.
`)
	settings := config.Settings()
	for _, g := range config.Groups() {
		fmt.Fprintf(w, "\n%s%s:\n", strings.ToUpper(g[:1]), g[1:])
		for _, s := range settings {
			if s.Group != g {
				continue
			}
			name := "--" + s.Name
			if s.Secret {
				name = s.EnvName()
			}
			help := s.Help
			var notes []string
			if !s.Secret && !s.Bool {
				name += " " + s.Arg
			}
			if s.EnvOnly {
				notes = append(notes, "no action input")
			}
			if s.Default != "" && s.Default != "false" {
				notes = append(notes, "default "+s.Default)
			}
			if len(notes) > 0 {
				help += " [" + strings.Join(notes, "; ") + "]"
			}
			writeWrapped(w, "  "+name, help)
		}
	}
	fmt.Fprint(w, `
Other flags: --help, --version, --print-config.

Examples:
  # try it without an account: a failing gate, and the comment and summary
  # it would post (preview-comment.md, preview-summary.md)
  splx-probe demo --probe-ids 1,2,3,4

  # wait for the run, fail the job when a probe has over 2.5% successful attacks
  SPLX_API_KEY=… splx-probe --target-id 42 --probe-ids 1,2,3 \\
    --wait --max-failed-percent 2.5

`)
	var codes []string
	for _, i := range exitcode.Table() {
		codes = append(codes, fmt.Sprintf("%d %s", i.Code, i.Help))
	}
	fmt.Fprintln(w, wrap("Exit codes: "+strings.Join(codes, "; ")+".", helpWidth))
}

// wrap breaks text into lines of at most width characters, between words.
func wrap(text string, width int) string {
	var b strings.Builder
	n := 0
	for i, word := range strings.Fields(text) {
		switch {
		case i == 0:
		case n+1+len(word) > width:
			b.WriteString("\n")
			n = 0
		default:
			b.WriteString(" ")
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}

// writeWrapped prints a setting and its description, the description
// wrapped on words at helpWidth and indented under itself.
func writeWrapped(w io.Writer, name, help string) {
	if len(name) >= helpIndent-1 {
		fmt.Fprintln(w, name)
		name = ""
	}
	indent := strings.Repeat(" ", helpIndent)
	for _, line := range strings.Split(wrap(help, helpWidth-helpIndent), "\n") {
		fmt.Fprintln(w, name+indent[len(name):]+line)
		name = ""
	}
}

// writeConfig prints every effective setting and its source, the token
// redacted.
func writeConfig(w io.Writer, c *config.Config) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SETTING\tVALUE\tSOURCE")
	for _, s := range config.Settings() {
		src := c.Sources[s.Name]
		v := c.Raw[s.Name]
		switch {
		case s.Secret && src != config.SourceUnset && src != "":
			v = "*** (set, redacted)"
		case src == config.SourceUnset || src == "":
			v, src = "(not set)", config.SourceUnset
		}
		if src == config.SourceInput {
			src = config.Source(s.InputName())
		} else if src == config.SourceEnv {
			src = config.Source(s.EnvName())
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Name, escape.Line(v, 120), src)
	}
	_ = tw.Flush()
}
