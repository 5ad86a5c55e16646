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

func writeHelp(w io.Writer) {
	settings := config.Settings()
	fmt.Fprint(w, `splx-probe: trigger an SPLX Probe red-team test run from CI, wait for it,
gate the job on its findings and report them.

Usage:
  splx-probe [flags]          trigger a test run (and wait, with --wait)
  splx-probe doctor [flags]   check the setup (settings, network, TLS, token); triggers nothing
  splx-probe demo [flags]     the whole flow against a built-in fake API, no account needed
  splx-probe --print-config   show every effective setting and where it came from

Every setting has three spellings, in order of precedence: a flag, a GitHub
action input (INPUT_*), an environment variable (SPLX_*). Blank counts as unset.

`)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FLAG\tINPUT\tVARIABLE\tDEFAULT")
	for _, s := range settings {
		flag := "--" + s.Name
		if s.Secret {
			flag = "(none)"
		}
		def := s.Default
		if def == "" {
			def = "-"
		}
		input := s.Name
		if s.EnvOnly {
			input = "(none)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", flag, input, s.EnvName(), def)
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
	for _, s := range settings {
		fmt.Fprintf(w, "  %-22s %s\n", s.Name, s.Help)
	}
	fmt.Fprint(w, "\nOther flags: --help, --version, --print-config.\n\n")
	var codes []string
	for _, i := range exitcode.Table() {
		codes = append(codes, fmt.Sprintf("%d %s", i.Code, i.Help))
	}
	fmt.Fprintln(w, wrap("Exit codes: "+strings.Join(codes, "; ")+".", helpWidth))
}

// helpWidth is where --help's prose wraps.
const helpWidth = 83

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
