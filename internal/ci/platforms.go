package ci

import (
	"slices"
	"strings"
)

// platform is one CI platform the tool knows: how to detect it, read its
// context, name it and its runs, speak to it, and which files it writes.
// Adding a platform is one entry in platforms and a file with its name,
// context and reporter: nothing outside this package names a platform.
type platform struct {
	name Platform
	// label names it for people (and the User-Agent), from its context.
	label func(c Context) string
	// detect reports whether env is this platform's (nil: never detected,
	// the fallback).
	detect func(env map[string]string) bool
	// context reads its CI context into c (nil: nothing to read).
	context func(c *Context, env map[string]string)
	// run names what the context's RunURL shows, under the comment.
	run string
	// attempt names the attempt that triggered a run (a format for its
	// id) for the message that a later attempt reuses the run; "" says
	// "an earlier run of this step".
	attempt string
	// tokenHint explains an empty token from the context ("" when it has
	// nothing to add; nil: never has).
	tokenHint func(c Context) string
	// reporter speaks to it.
	reporter func(o Options) Reporter
	// files are the output files its reporter writes (for doctor).
	files func(env map[string]string, o Options) []File
	// settings are the settings its reporter reads (Options.Setting), each
	// naming a file it writes: they may not name another report.
	settings []string
	// runnerFiles are the variables naming files its runner owns, which
	// no report may overwrite.
	runnerFiles []string
}

// named is the label of a platform that its context does not change.
func named(label string) func(Context) string { return func(Context) string { return label } }

// File is an output file a platform's reporter writes.
type File struct {
	// Name is the variable or setting that names it.
	Name, Path string
	// Created says the reporter creates it when missing (GitHub's runner
	// creates its own; a missing one means this container cannot see it).
	Created bool
	// Fix says what to do when it cannot be written.
	Fix string
}

// githubFileFix is what to do about a GitHub runner file that cannot be
// written: act's self-hosted mode gives none.
const githubFileFix = "run in a job where the runner provides it (act: use container mode)"

// platforms lists every platform, in the order Detect tries them; plain,
// the fallback, comes last.
func platforms() []platform {
	return []platform{
		{
			name: GitHub,
			label: func(c Context) string {
				if c.Act {
					return "act"
				}
				return "GitHub Actions"
			},
			detect:  func(env map[string]string) bool { return env["GITHUB_ACTIONS"] == "true" },
			context: (*Context).github,
			run:     "workflow run", attempt: "attempt %s of this workflow run",
			// Pull requests from forks and Dependabot runs get empty secrets.
			tokenHint: func(c Context) string {
				switch {
				case c.Actor == "dependabot[bot]":
					return "Dependabot runs get no repository secrets; add SPLX_API_KEY to the Dependabot secrets, or skip this step for Dependabot"
				case strings.HasPrefix(c.EventName, "pull_request") && c.EventName != "pull_request_target" && c.HeadRef != "":
					return "if this is a pull request from a fork, GitHub gives it no secrets; run the step only for branches of this repository, or set the api-key input (GitHub: api-key: ${{ secrets.SPLX_API_KEY }}) or the SPLX_API_KEY variable to a Personal Access Token from the SPLX Probe web UI"
				}
				return ""
			},
			reporter: func(o Options) Reporter { return newGitHub(o) },
			files: func(env map[string]string, _ Options) []File {
				return []File{{Name: "GITHUB_OUTPUT", Path: env["GITHUB_OUTPUT"], Fix: githubFileFix}, {Name: "GITHUB_STEP_SUMMARY", Path: env["GITHUB_STEP_SUMMARY"], Fix: githubFileFix}}
			},
			runnerFiles: []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STEP_SUMMARY", "GITHUB_STATE", "GITHUB_PATH", "GITHUB_EVENT_PATH"},
		},
		{
			name: GitLab, label: named("GitLab CI"),
			detect:  func(env map[string]string) bool { return env["GITLAB_CI"] == "true" },
			context: (*Context).gitlab,
			run:     "pipeline job", attempt: "job %s of this pipeline",
			reporter: func(o Options) Reporter { return &gitlab{plain: newColourLog(o)} }, // both render ANSI colour in their job logs
			files: func(_ map[string]string, o Options) []File {
				return []File{{Name: dotenvSetting, Path: o.Setting(dotenvSetting), Created: true, Fix: "set dotenv-path to a file in the job's working directory"}}
			},
			settings: []string{dotenvSetting},
		},
		{
			name: CircleCI, label: named("CircleCI"),
			detect:  func(env map[string]string) bool { return env["CIRCLECI"] == "true" },
			context: (*Context).circleci,
			run:     "job", attempt: "job %s of an earlier run of this workflow",
			reporter: func(o Options) Reporter { return &circleci{plain: newColourLog(o)} },
			files: func(env map[string]string, _ Options) []File {
				return []File{{Name: "BASH_ENV", Path: env["BASH_ENV"], Created: true, Fix: "run in a job where the runner provides it"}}
			},
			runnerFiles: []string{"BASH_ENV"},
		},
		{
			name: Plain, label: named("terminal"),
			reporter: func(o Options) Reporter { return newPlain(o) },
			files:    func(map[string]string, Options) []File { return nil },
		},
	}
}

// lookup returns the platform named p; plain for a name it does not know.
func lookup(p Platform) platform {
	all := platforms()
	for _, pl := range all {
		if pl.name == p {
			return pl
		}
	}
	return all[len(all)-1]
}

// Names are the platforms' names, as the platform setting takes them
// (besides auto).
func Names() []string {
	var out []string
	for _, p := range platforms() {
		out = append(out, string(p.name))
	}
	return out
}

// OutputFiles are the files the platform's reporter writes, with the
// options a reporter gets.
func (p Platform) OutputFiles(o Options) []File {
	pl := lookup(p)
	return pl.files(nonNil(o.Env), pl.options(o))
}

// options are o as the platform's reporter sees them: only the settings
// it declares.
func (pl platform) options(o Options) Options {
	get := o.Setting
	o.Setting = func(name string) string {
		if get == nil || !slices.Contains(pl.settings, name) {
			return ""
		}
		return get(name)
	}
	return o
}

// FileSettings are the settings naming a file the platform's reporter
// writes.
func (p Platform) FileSettings() []string { return lookup(p).settings }

// AllFileSettings are the settings naming a file any platform's reporter
// writes (written where set, even off that platform).
func AllFileSettings() []string {
	var out []string
	for _, p := range platforms() {
		out = append(out, p.settings...)
	}
	return out
}

// RunnerFiles are the variables naming files some platform's runner owns.
func RunnerFiles() []string {
	var out []string
	for _, p := range platforms() {
		out = append(out, p.runnerFiles...)
	}
	return out
}
