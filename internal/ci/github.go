package ci

import (
	"fmt"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// github reports through workflow commands (go-githubactions) and writes
// the file commands itself: the library panics when a file is missing and
// uses a fixed delimiter that a value could forge.
type github struct {
	o Options
	a *githubactions.Action
	// warned holds the file commands already reported as unusable.
	warned map[string]bool
}

func newGitHub(o Options) *github {
	a := githubactions.New(githubactions.WithWriter(o.Stdout), githubactions.WithGetenv(func(k string) string { return o.Env[k] }))
	return &github{o: o, a: a, warned: map[string]bool{}}
}

func (g *github) Begin(secrets []string) {
	// Only a real runner hides masked values: where the platform was forced
	// to github without one, the command would print the token in clear.
	if g.o.Env["GITHUB_ACTIONS"] != "true" {
		return
	}
	seen := map[string]bool{}
	for _, s := range secrets {
		if strings.TrimSpace(s) != "" && !seen[s] {
			seen[s] = true
			g.a.AddMask(s)
		}
	}
}

func (g *github) Info(msg string) { printf(g.o.Stdout, "%s\n", line(msg)) }

// Debug prints ::debug:: lines only when someone will read them: the runner
// shows them with debug logging on (RUNNER_DEBUG=1), or the debug setting.
func (g *github) Debug(msg string) {
	if g.o.Debug || g.o.Env["RUNNER_DEBUG"] == "1" {
		g.a.Debugf("%s", line(msg))
	}
}

func (g *github) titled(title string) *githubactions.Action {
	return g.a.WithFieldsMap(map[string]string{"title": line(title)})
}

func (g *github) Notice(title, msg string)  { g.titled(title).Noticef("%s", line(msg)) }
func (g *github) Warning(title, msg string) { g.titled(title).Warningf("%s", line(msg)) }
func (g *github) Error(title, msg string)   { g.titled(title).Errorf("%s", line(msg)) }
func (g *github) Group(title string)        { g.a.Group(line(title)) }
func (g *github) EndGroup()                 { g.a.EndGroup() }
func (g *github) Progress(p Progress)       { g.Info(ProgressLine(p)) }

// fileCommand appends text to the file named by the variable, warning once
// when that is impossible (unset, or a path that does not exist in this
// container, as under act's self-hosted mode).
func (g *github) fileCommand(variable, text string) bool {
	path := g.o.Env[variable]
	var err error
	if path == "" {
		err = fmt.Errorf("$%s is not set", variable)
	} else if err = appendFile(path, text, false); err != nil {
		err = fmt.Errorf("cannot write $%s: %v", variable, err)
	}
	if err != nil {
		if !g.warned[variable] {
			g.warned[variable] = true
			g.Warning(map[string]string{"GITHUB_OUTPUT": "Step outputs", "GITHUB_STEP_SUMMARY": "Job summary"}[variable], err.Error()+"; printing to the log instead")
		}
		return false
	}
	return true
}

func (g *github) Outputs(outs []Output) {
	var b strings.Builder
	for _, o := range outs {
		cmd, err := GitHubFileCommand(o.Name, o.Value, g.o.Random(16))
		if err != nil {
			g.Warning("Step outputs", "output "+o.Name+" left out: "+err.Error())
			continue
		}
		b.WriteString(cmd)
	}
	if !g.fileCommand("GITHUB_OUTPUT", b.String()) {
		for _, o := range outs {
			g.Info(o.Name + "=" + o.Value)
		}
	}
}

func (g *github) Summary(markdown string) {
	if !g.fileCommand("GITHUB_STEP_SUMMARY", markdown) {
		g.Dump("Job summary", markdown)
	}
}

// Dump prints text inside a stop-commands block with a random token, so
// that nothing in it is taken as a workflow command (and escapes it too).
func (g *github) Dump(title, text string) {
	token := g.o.Random(16)
	g.a.Group(line(title))
	printf(g.o.Stdout, "::stop-commands::%s\n", token)
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		printf(g.o.Stdout, "%s\n", line(l))
	}
	printf(g.o.Stdout, "::%s::\n", token)
	g.a.EndGroup()
}
