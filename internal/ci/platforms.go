package ci

import "slices"

// platform is one CI platform the tool knows: how to detect it, read its
// context, speak to it, and which files it writes. Adding a platform is
// one entry in platforms and a file with its reporter.
type platform struct {
	name Platform
	// label names it for people (and the User-Agent).
	label string
	// detect reports whether env is this platform's (nil: never detected,
	// the fallback).
	detect func(env map[string]string) bool
	// context reads its CI context into c (nil: nothing to read).
	context func(c *Context, env map[string]string)
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

// File is an output file a platform's reporter writes.
type File struct {
	// Name is the variable or setting that names it.
	Name, Path string
	// Created says the reporter creates it when missing (GitHub's runner
	// creates its own; a missing one means this container cannot see it).
	Created bool
}

// platforms lists every platform, in the order Detect tries them; plain,
// the fallback, comes last.
func platforms() []platform {
	return []platform{
		{
			name: GitHub, label: "GitHub Actions",
			detect:   func(env map[string]string) bool { return env["GITHUB_ACTIONS"] == "true" },
			context:  (*Context).github,
			reporter: func(o Options) Reporter { return newGitHub(o) },
			files: func(env map[string]string, _ Options) []File {
				return []File{{Name: "GITHUB_OUTPUT", Path: env["GITHUB_OUTPUT"]}, {Name: "GITHUB_STEP_SUMMARY", Path: env["GITHUB_STEP_SUMMARY"]}}
			},
			runnerFiles: []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STEP_SUMMARY", "GITHUB_STATE", "GITHUB_PATH", "GITHUB_EVENT_PATH"},
		},
		{
			name: GitLab, label: "GitLab CI",
			detect:   func(env map[string]string) bool { return env["GITLAB_CI"] == "true" },
			context:  (*Context).gitlab,
			reporter: func(o Options) Reporter { return &gitlab{plain: newColourLog(o)} }, // both render ANSI colour in their job logs
			files: func(_ map[string]string, o Options) []File {
				return []File{{Name: dotenvSetting, Path: o.Setting(dotenvSetting), Created: true}}
			},
			settings: []string{dotenvSetting},
		},
		{
			name: CircleCI, label: "CircleCI",
			detect:   func(env map[string]string) bool { return env["CIRCLECI"] == "true" },
			context:  (*Context).circleci,
			reporter: func(o Options) Reporter { return &circleci{plain: newColourLog(o)} },
			files: func(env map[string]string, _ Options) []File {
				return []File{{Name: "BASH_ENV", Path: env["BASH_ENV"], Created: true}}
			},
			runnerFiles: []string{"BASH_ENV"},
		},
		{
			name: Plain, label: "terminal",
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
