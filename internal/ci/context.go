package ci

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"
)

// Context is the CI run the tool is part of, read once when the platform is
// detected, the way reviewdog's cienv does: which platform, which
// repository and commit, which run, and on GitHub who triggered it, for
// which event and pull request.
type Context struct {
	Platform Platform
	// Act is set under nektos/act (it sets GITHUB_ACTIONS too).
	Act bool
	// Repository is owner/name (GitLab: the project path).
	Repository string
	// SHA is the commit, shortened to 7 characters; Commit is the whole id.
	SHA, Commit string
	// RunNumber is the run's number ("" when unknown).
	RunNumber string
	// Actor, EventName and HeadRef are GitHub's (empty elsewhere).
	Actor, EventName, HeadRef string
	// PRNumber is the pull request of a pull_request or
	// pull_request_target event, from the event payload (0 otherwise).
	PRNumber int
	// WorkflowPath is the workflow file that runs, relative to the
	// repository (GitHub's GITHUB_WORKFLOW_REF), "" elsewhere.
	WorkflowPath string
	// Workflow and Job name the step's workflow and job (GitHub).
	Workflow, Job string
	// APIURL is the platform's REST API (GitHub: GITHUB_API_URL, so that
	// GitHub Enterprise Server works).
	APIURL string
	// ServerURL is GitHub's web UI (GITHUB_SERVER_URL): with CIRun and
	// Attempt it locates the workflow run.
	ServerURL string
	// CIRun is what a re-run of the job keeps: GitHub's run id, GitLab's
	// pipeline id, CircleCI's workflow workspace id ("Rerun workflow from
	// failed" starts a new workflow id but keeps the workspace).
	CIRun string
	// Attempt tells this attempt from the others of CIRun: GitHub's run
	// attempt, GitLab's job id, CircleCI's job number.
	Attempt string
	// MergeRequestIID, ProjectID and JobToken are GitLab's: the merge
	// request of a merge-request pipeline (CI_MERGE_REQUEST_IID, 0
	// otherwise), the project's id (CI_PROJECT_ID), and whether the job has
	// a CI_JOB_TOKEN (which cannot write notes); ProjectURL and JobURL are
	// their web pages. APIURL is CI_API_V4_URL there.
	MergeRequestIID    int
	ProjectID          string
	ProjectURL, JobURL string
	JobToken           bool
	// EventErr is why the event payload could not be read (nil: read, or
	// none given): without it no pull request number is known.
	EventErr error
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

// Detect returns the context of the platform forced by the platform
// setting, or of the one the environment shows.
func Detect(env map[string]string, forced string) Context {
	pl := lookup(Platform(forced))
	if pl.name != Platform(forced) {
		for _, cand := range platforms() {
			if cand.detect == nil || cand.detect(env) {
				pl = cand
				break
			}
		}
	}
	c := Context{Platform: pl.name}
	if pl.context != nil {
		pl.context(&c, env)
	}
	return c
}

func (c *Context) circleci(env map[string]string) {
	if env["CIRCLE_PROJECT_USERNAME"] != "" || env["CIRCLE_PROJECT_REPONAME"] != "" {
		c.Repository = env["CIRCLE_PROJECT_USERNAME"] + "/" + env["CIRCLE_PROJECT_REPONAME"]
	}
	c.SHA, c.RunNumber = short(env["CIRCLE_SHA1"]), env["CIRCLE_BUILD_NUM"]
	c.Commit, c.CIRun, c.Job, c.Attempt = env["CIRCLE_SHA1"], env["CIRCLE_WORKFLOW_WORKSPACE_ID"], env["CIRCLE_JOB"], env["CIRCLE_BUILD_NUM"]
	if c.CIRun == "" {
		c.CIRun = env["CIRCLE_WORKFLOW_ID"]
	}
}

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
	c.ServerURL, c.CIRun, c.Attempt = env["GITHUB_SERVER_URL"], env["GITHUB_RUN_ID"], env["GITHUB_RUN_ATTEMPT"]
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

// gitlab reads GitLab's predefined variables.
func (c *Context) gitlab(env map[string]string) {
	c.Repository, c.SHA, c.RunNumber = env["CI_PROJECT_PATH"], env["CI_COMMIT_SHORT_SHA"], env["CI_PIPELINE_IID"]
	c.Commit, c.CIRun, c.Job, c.Attempt = env["CI_COMMIT_SHA"], env["CI_PIPELINE_ID"], env["CI_JOB_NAME"], env["CI_JOB_ID"]
	c.APIURL, c.ProjectID = env["CI_API_V4_URL"], env["CI_PROJECT_ID"]
	c.ProjectURL, c.JobURL, c.JobToken = env["CI_PROJECT_URL"], env["CI_JOB_URL"], env["CI_JOB_TOKEN"] != ""
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

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// Label names the platform for people (and the User-Agent).
func (c Context) Label() string {
	if c.Platform == GitHub && c.Act {
		return "act"
	}
	return lookup(c.Platform).label
}

// DefaultRunName is the test run name built from the context: repository,
// short commit and run number; a timestamp outside CI.
func (c Context) DefaultRunName(now time.Time) string {
	if c.Repository == "" {
		return "splx-probe-action " + now.UTC().Format("2006-01-02 15:04:05Z")
	}
	name := c.Repository
	if c.SHA != "" {
		name += "@" + c.SHA
	}
	if c.RunNumber != "" {
		name += " #" + c.RunNumber
	}
	return name
}

// AttemptLabel names the attempt that triggered a run, for the message
// that a later attempt reuses it ("attempt 1 of this workflow run").
func (c Context) AttemptLabel(attempt string) string {
	if attempt == "" {
		return "an earlier run of this step"
	}
	switch c.Platform {
	case GitHub:
		return "attempt " + attempt + " of this workflow run"
	case GitLab:
		return "job " + attempt + " of this pipeline"
	case CircleCI:
		return "job " + attempt + " of an earlier run of this workflow"
	}
	return "an earlier run of this step"
}

// MissingTokenHint explains an empty token from the context, or returns ""
// when the context has nothing to add: on GitHub, pull requests from forks
// and Dependabot runs get empty secrets.
func (c Context) MissingTokenHint() string {
	if c.Platform != GitHub {
		return ""
	}
	switch {
	case c.Actor == "dependabot[bot]":
		return "Dependabot runs get no repository secrets; add SPLX_API_KEY to the Dependabot secrets, or skip this step for Dependabot"
	case strings.HasPrefix(c.EventName, "pull_request") && c.EventName != "pull_request_target" && c.HeadRef != "":
		return "if this is a pull request from a fork, GitHub gives it no secrets; run the step only for branches of this repository, or set the api-key input (GitHub: api-key: ${{ secrets.SPLX_API_KEY }}) or the SPLX_API_KEY variable to a Personal Access Token from the SPLX Probe web UI"
	}
	return ""
}
