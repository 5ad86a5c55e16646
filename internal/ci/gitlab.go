package ci

import (
	"fmt"
	"strconv"
	"strings"
)

// GitLab is GitLab CI.
const GitLab Platform = "gitlab"

// dotenvSetting names the dotenv file the outputs go to.
const dotenvSetting = "dotenv-path"

// gitlab reads GitLab's predefined variables.
func (c *Context) gitlab(env map[string]string) {
	c.Repository, c.SHA, c.RunNumber = env["CI_PROJECT_PATH"], env["CI_COMMIT_SHORT_SHA"], env["CI_PIPELINE_IID"]
	c.Commit, c.CIRun, c.Job, c.Attempt = env["CI_COMMIT_SHA"], env["CI_PIPELINE_ID"], env["CI_JOB_NAME"], env["CI_JOB_ID"]
	c.APIURL, c.ProjectID = env["CI_API_V4_URL"], env["CI_PROJECT_ID"]
	c.RunURL, c.JobToken = env["CI_JOB_URL"], env["CI_JOB_TOKEN"] != ""
	if project := strings.TrimRight(env["CI_PROJECT_URL"], "/"); project != "" && c.Commit != "" {
		c.CommitURL = project + "/-/commit/" + c.Commit
	}
	if n, err := strconv.Atoi(env["CI_MERGE_REQUEST_IID"]); err == nil && n > 0 {
		c.MergeRequestIID = n
	}
	c.WorkflowPath = GitLabConfigPath(env["CI_CONFIG_PATH"])
}

// GitLabConfigPath is the repository file a GitLab pipeline comes from:
// CI_CONFIG_PATH when it names a file of the project itself, else GitLab's
// default .gitlab-ci.yml (a file of another project, path@group/project,
// or a URL is nowhere in this repository).
func GitLabConfigPath(p string) string {
	p = strings.TrimPrefix(strings.TrimSpace(p), "./")
	if p == "" || strings.ContainsAny(p, "@\x00") || strings.Contains(p, "://") || strings.HasPrefix(p, "/") || strings.Contains("/"+p+"/", "/../") {
		return ".gitlab-ci.yml"
	}
	return p
}

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
