package ci

import (
	"strings"

	"github.com/splx-ai/splx-probe-action/internal/escape"
)

// circleci reports as plain text and exports the outputs to later steps of
// the job through $BASH_ENV, shell-quoted so that sourcing it runs nothing.
type circleci struct {
	*plain
}

func (c *circleci) Outputs(outs []Output) {
	path := c.o.Env["BASH_ENV"]
	if path != "" {
		var b strings.Builder
		for _, o := range outs {
			b.WriteString("export " + o.EnvName() + "=" + escape.ShellQuote(strings.ToValidUTF8(o.Value, "")) + "\n")
		}
		if err := c.o.write(path, b.String(), appendOrCreate); err != nil {
			c.Warning("BASH_ENV", "cannot append to $BASH_ENV: "+err.Error()+"; later steps will not see the outputs")
		}
	}
	c.plain.Outputs(outs)
}
