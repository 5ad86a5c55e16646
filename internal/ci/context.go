package ci

import (
	"fmt"
	"time"
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
	// repository (GitHub's GITHUB_WORKFLOW_REF, GitLab's pipeline file),
	// "" elsewhere.
	WorkflowPath string
	// Workflow and Job name the step's workflow and job (GitHub).
	Workflow, Job string
	// APIURL is the platform's REST API (GitHub: GITHUB_API_URL, so that
	// GitHub Enterprise Server works, else api.github.com).
	APIURL string
	// CommitURL and RunURL are the web pages of the commit and of this
	// run ("" when unknown): GitHub's workflow run with its attempt,
	// GitLab's job, CircleCI's job. RunLabel names what RunURL shows
	// ("workflow run", "pipeline job").
	CommitURL, RunURL, RunLabel string
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
	// a CI_JOB_TOKEN (which cannot write notes). APIURL is CI_API_V4_URL
	// there.
	MergeRequestIID int
	ProjectID       string
	JobToken        bool
	// EventErr is why the event payload could not be read (nil: read, or
	// none given): without it no pull request number is known.
	EventErr error
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
	c := Context{Platform: pl.name, RunLabel: pl.run}
	if pl.context != nil {
		pl.context(&c, env)
	}
	return c
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// Label names the platform for people (and the User-Agent).
func (c Context) Label() string { return lookup(c.Platform).label(c) }

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
	if format := lookup(c.Platform).attempt; attempt != "" && format != "" {
		return fmt.Sprintf(format, attempt)
	}
	return "an earlier run of this step"
}

// MissingTokenHint explains an empty token from the context, or returns ""
// when the context has nothing to add (on GitHub, pull requests from forks
// and Dependabot runs get empty secrets).
func (c Context) MissingTokenHint() string {
	if hint := lookup(c.Platform).tokenHint; hint != nil {
		return hint(c)
	}
	return ""
}
