package ci

import (
	"fmt"
	"strings"
)

// dotenvSetting names the dotenv file the outputs go to.
const dotenvSetting = "dotenv-path"

// gitlab reports as plain text with collapsible sections, and writes the
// outputs to a dotenv file for artifacts:reports:dotenv. GitLab masks its
// own masked variables; an ::add-mask:: line would print the token.
type gitlab struct {
	*plain
	section string
}

// Group starts a section, collapsed: the log's reader opens it when the
// progress matters.
func (g *gitlab) Group(title string) {
	g.EndGroup()
	g.section = fmt.Sprintf("splx_probe_%d", g.o.Now().UnixNano())
	printf(g.o.Stdout, "\x1b[0Ksection_start:%d:%s[collapsed=true]\r\x1b[0K%s\n", g.o.Now().Unix(), g.section, line(title))
}

func (g *gitlab) EndGroup() {
	if g.section != "" {
		printf(g.o.Stdout, "\x1b[0Ksection_end:%d:%s\r\x1b[0K\n", g.o.Now().Unix(), g.section)
		g.section = ""
	}
}

// Outputs writes the dotenv file: KEY=value lines, single-line values of
// characters no dotenv reader interprets; any other value is left out with
// a warning.
func (g *gitlab) Outputs(outs []Output) {
	var b strings.Builder
	for _, o := range outs {
		if !dotenvSafe(o.Value) {
			g.Warning("Dotenv report", o.EnvName()+" left out: its value has characters a dotenv file cannot hold safely")
			continue
		}
		b.WriteString(o.EnvName() + "=" + o.Value + "\n")
	}
	path := g.o.Setting(dotenvSetting)
	if err := g.o.write(path, b.String(), replace); err != nil {
		g.Warning("Dotenv report", fmt.Sprintf("cannot write %s: %v; printing the values instead", path, err))
		g.plain.Outputs(outs)
		return
	}
	g.Info("Wrote " + path + " (declare it under artifacts:reports:dotenv for later jobs)")
	g.plain.Outputs(outs)
}
