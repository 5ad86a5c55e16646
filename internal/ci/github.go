package ci

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// GitHub is GitHub Actions, and act.
const GitHub Platform = "github"

// github reads GitHub's context through go-githubactions, but reads the
// event payload itself, with a size cap (the library reads it whole).
func (c *Context) github(env map[string]string) {
	c.Act = env["ACT"] == "true"
	// owner/repo/.github/workflows/x.yml@refs/heads/main
	if ref, _, _ := strings.Cut(env["GITHUB_WORKFLOW_REF"], "@"); strings.Count(ref, "/") >= 2 {
		c.WorkflowPath = strings.SplitN(ref, "/", 3)[2]
	}
	c.Repository, c.Commit, c.SHA, c.RunNumber = env["GITHUB_REPOSITORY"], env["GITHUB_SHA"], short(env["GITHUB_SHA"]), env["GITHUB_RUN_NUMBER"]
	c.Actor, c.EventName, c.HeadRef = env["GITHUB_ACTOR"], env["GITHUB_EVENT_NAME"], env["GITHUB_HEAD_REF"]
	c.Workflow, c.Job, c.APIURL = env["GITHUB_WORKFLOW"], env["GITHUB_JOB"], env["GITHUB_API_URL"]
	c.CIRun, c.Attempt = env["GITHUB_RUN_ID"], env["GITHUB_RUN_ATTEMPT"]
	gh, _ := githubactions.New(githubactions.WithGetenv(func(k string) string {
		if k == "GITHUB_EVENT_PATH" {
			return ""
		}
		return env[k]
	})).Context()
	if gh != nil {
		c.Repository, c.SHA = gh.Repository, short(gh.SHA)
		if gh.RunNumber > 0 {
			c.RunNumber = strconv.FormatInt(gh.RunNumber, 10)
		}
		c.Actor, c.EventName, c.HeadRef = gh.Actor, gh.EventName, gh.HeadRef
		c.Workflow, c.Job, c.APIURL = gh.Workflow, gh.Job, gh.APIURL
	}
	if c.APIURL == "" {
		c.APIURL = "https://api.github.com"
	}
	c.githubLinks(env["GITHUB_SERVER_URL"])
	// Only these two events are about a pull request's code; review and
	// comment events are not (the README says so).
	if c.EventName != "pull_request" && c.EventName != "pull_request_target" || env["GITHUB_EVENT_PATH"] == "" {
		return
	}
	ev, err := readEvent(env["GITHUB_EVENT_PATH"])
	if err != nil {
		c.EventErr = err
		return
	}
	if pr, ok := ev["pull_request"].(map[string]any); ok {
		if n, ok := pr["number"].(float64); ok && n > 0 && n < 1<<31 {
			c.PRNumber = int(n)
		}
	}
}

// githubLinks are the commit's and the workflow run's pages on server
// (GITHUB_SERVER_URL, github.com when unset); a run's first attempt is
// the run's own page.
func (c *Context) githubLinks(server string) {
	server = strings.TrimRight(server, "/")
	if server == "" {
		server = "https://github.com"
	}
	if c.Commit != "" {
		c.CommitURL = fmt.Sprintf("%s/%s/commit/%s", server, c.Repository, c.Commit)
	}
	if c.CIRun != "" {
		c.RunURL = fmt.Sprintf("%s/%s/actions/runs/%s", server, c.Repository, c.CIRun)
		if c.Attempt != "" && c.Attempt != "1" {
			c.RunURL += "/attempts/" + c.Attempt
		}
	}
}

// MaxEventFile caps the event payload read from GITHUB_EVENT_PATH. GitHub
// caps webhook payloads at 25 MB; anything larger (or /dev/zero) is not an
// event and must not exhaust memory before anything runs.
const MaxEventFile = 25 << 20

// readEvent reads the event payload at path: a regular file (a FIFO would
// block) of at most MaxEventFile bytes, holding a JSON object.
func readEvent(path string) (map[string]any, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("GITHUB_EVENT_PATH: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("GITHUB_EVENT_PATH is not a regular file")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("GITHUB_EVENT_PATH: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxEventFile+1))
	if err != nil {
		return nil, fmt.Errorf("GITHUB_EVENT_PATH: %w", err)
	}
	if len(data) > MaxEventFile {
		return nil, fmt.Errorf("GITHUB_EVENT_PATH is larger than %d MiB, so it is not an event payload", MaxEventFile>>20)
	}
	var ev map[string]any
	if err := json.Unmarshal(data, &ev); err != nil {
		return nil, errors.New("GITHUB_EVENT_PATH does not hold a JSON object")
	}
	return ev, nil
}

// github reports through workflow commands (go-githubactions) and writes
// the file commands itself: the library panics when a file is missing and
// uses a fixed delimiter that a value could forge.
type github struct {
	o Options
	a *githubactions.Action
	// mask writes ::add-mask:: to the unredacted stdout.
	mask *githubactions.Action
	// warned holds the file commands already reported as unusable.
	warned map[string]bool
	// used counts the annotations of each kind so far.
	used     map[string]int
	progress changed
}

// maxAnnotations is how many annotations of each kind GitHub shows per
// step; it drops the rest.
const maxAnnotations = 10

func newGitHub(o Options) *github {
	getenv := githubactions.WithGetenv(func(k string) string { return o.Env[k] })
	return &github{
		o:      o,
		a:      githubactions.New(githubactions.WithWriter(o.Stdout), getenv),
		mask:   githubactions.New(githubactions.WithWriter(o.Unredacted), getenv),
		warned: map[string]bool{},
		used:   map[string]int{},
	}
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
			g.mask.AddMask(s)
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

// annotate emits an annotation while GitHub still shows them; past its
// limit the message stays in the log as a plain line instead of being
// dropped.
func (g *github) annotate(kind, title, msg string) {
	if g.used[kind] >= maxAnnotations {
		g.Info(kind + ": " + title + ": " + msg)
		return
	}
	g.used[kind]++
	a := g.titled(title)
	switch kind {
	case "notice":
		a.Noticef("%s", line(msg))
	case "warning":
		a.Warningf("%s", line(msg))
	default:
		a.Errorf("%s", line(msg))
	}
}

func (g *github) Notice(title, msg string)  { g.annotate("notice", title, msg) }
func (g *github) Warning(title, msg string) { g.annotate("warning", title, msg) }
func (g *github) Error(title, msg string)   { g.annotate("error", title, msg) }
func (g *github) Group(title string)        { g.a.Group(line(title)) }
func (g *github) EndGroup()                 { g.a.EndGroup() }
func (g *github) Progress(p Progress) {
	if g.progress.is(p.Key()) {
		g.Info(p.Line())
	}
}

func (g *github) Table(lines []TableLine) {
	for _, l := range lines {
		g.Info(l.Text)
	}
}

// Annotate puts the verdict first in GitHub's list of annotations, then
// fits the probes' in what is left of its limit.
func (g *github) Annotate(verdict Note, errs, warns []Note) {
	verdictNote(g, verdict)
	annotateWithin(g, errs, warns, maxAnnotations-g.used["error"], maxAnnotations-g.used["warning"])
}

// fileCommand appends text to the file named by the variable, warning once
// when that is impossible (unset, or a path that does not exist in this
// container, as under act's self-hosted mode).
func (g *github) fileCommand(variable, text string) bool {
	path := g.o.Env[variable]
	var err error
	if path == "" {
		err = fmt.Errorf("$%s is not set", variable)
	} else if err = g.o.write(path, text, appendExisting); err != nil {
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
		// Inside a stop-commands block with a random token, so that nothing
		// in it is taken as a workflow command (and escaped too).
		token := g.o.Random(16)
		g.a.Group("Job summary")
		printf(g.o.Stdout, "::stop-commands::%s\n", token)
		eachLine(markdown, func(l string) { printf(g.o.Stdout, "%s\n", l) })
		printf(g.o.Stdout, "::%s::\n", token)
		g.a.EndGroup()
	}
}
