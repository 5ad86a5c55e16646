package ci

import (
	"strings"

	"github.com/splx-ai/splx-probe-action/internal/escape"
)

// CircleCI names CircleCI (the orb, or the image as a job's image).
const CircleCI Platform = "circleci"

// circleci reads CircleCI's built-in variables.
func (c *Context) circleci(env map[string]string) {
	if env["CIRCLE_PROJECT_USERNAME"] != "" || env["CIRCLE_PROJECT_REPONAME"] != "" {
		c.Repository = env["CIRCLE_PROJECT_USERNAME"] + "/" + env["CIRCLE_PROJECT_REPONAME"]
	}
	c.SHA, c.RunNumber = short(env["CIRCLE_SHA1"]), env["CIRCLE_BUILD_NUM"]
	c.Commit, c.CIRun, c.Job, c.Attempt = env["CIRCLE_SHA1"], env["CIRCLE_WORKFLOW_WORKSPACE_ID"], env["CIRCLE_JOB"], env["CIRCLE_BUILD_NUM"]
	if c.CIRun == "" {
		c.CIRun = env["CIRCLE_WORKFLOW_ID"]
	}
	c.RunURL = env["CIRCLE_BUILD_URL"]
}

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
