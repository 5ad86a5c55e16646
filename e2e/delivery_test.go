package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/gitlabtest"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// The delivery tests run the real tools users run our files with:
// actionlint, gitlab-ci-local and CircleCI's config parser. .ci/run installs
// them and sets SPLX_E2E_TOOLS=1; then a missing tool fails the test.
func needTools(t *testing.T) {
	t.Helper()
	if os.Getenv("SPLX_E2E_TOOLS") != "1" {
		t.Skip("set SPLX_E2E_TOOLS=1 to check the README, GitLab and CircleCI files with real tools (.ci/run does)")
	}
}

// tool finds a command on PATH or among the npm tools .ci/run installed
// (SPLX_NODE_TOOLS).
func tool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if dir := os.Getenv("SPLX_NODE_TOOLS"); dir != "" {
		p := filepath.Join(dir, "node_modules", ".bin", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("%s not found: .ci/run installs it", name)
	return ""
}

// runTool runs a command in dir, with env added to the test's own, and
// returns its combined output.
func runTool(t *testing.T, dir string, env []string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// yamlBlock is one ```yaml block of the README.
type yamlBlock struct {
	line int
	text string
}

// readmeYAML returns the README's YAML examples, each classified by what
// reads it: "github", "gitlab" or "circleci".
func readmeYAML(t *testing.T) map[string][]yamlBlock {
	t.Helper()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]yamlBlock{}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] != "```yaml" {
			continue
		}
		start := i + 1
		for i++; i < len(lines) && lines[i] != "```"; i++ {
		}
		b := yamlBlock{line: start, text: strings.Join(lines[start:i], "\n") + "\n"}
		switch {
		case strings.HasPrefix(b.text, "version: 2.1\n"):
			out["circleci"] = append(out["circleci"], b)
		case strings.Contains(b.text, "\njobs:\n") && strings.Contains(b.text, "runs-on:"):
			out["github"] = append(out["github"], b)
		case strings.Contains(b.text, "script:") || strings.HasPrefix(b.text, "include:"):
			out["gitlab"] = append(out["gitlab"], b)
		default:
			t.Errorf("README line %d: a YAML example that no test reads:\n%s", start, b.text)
		}
	}
	return out
}

// TestREADMEWorkflows: every GitHub workflow in the README passes
// actionlint, and passes step outputs to run: through env:, never by
// ${{ }} inside the script.
func TestREADMEWorkflows(t *testing.T) {
	needTools(t)
	actionlint := tool(t, "actionlint")
	blocks := readmeYAML(t)["github"]
	if len(blocks) < 3 {
		t.Fatalf("%d GitHub workflows in the README, want the trigger, gating and Docker examples", len(blocks))
	}
	dir := t.TempDir()
	for _, b := range blocks {
		testenv.WriteFile(t, filepath.Join(dir, ".github", "workflows", fmt.Sprintf("readme-%04d.yml", b.line)), b.text)
		inRun := false
		for _, l := range strings.Split(b.text, "\n") {
			trimmed := strings.TrimLeft(strings.TrimPrefix(strings.TrimSpace(l), "- "), " ")
			switch {
			case strings.HasPrefix(trimmed, "run:"):
				inRun = true
				if strings.Contains(trimmed, "${{") {
					t.Errorf("README line %d: an expression inside run: (pass it through env:): %s", b.line, trimmed)
				}
			case inRun && strings.Contains(l, "${{"):
				t.Errorf("README line %d: an expression inside a run: script: %s", b.line, strings.TrimSpace(l))
			case strings.HasSuffix(trimmed, ":") || strings.HasPrefix(trimmed, "uses:") || strings.HasPrefix(trimmed, "env:"):
				inRun = false
			}
		}
	}
	mustGit(t, dir, "init", "-q")
	if out, err := runTool(t, dir, nil, actionlint, "-no-color"); err != nil {
		t.Errorf("actionlint rejects the README's workflows:\n%s", out)
	}
}

// TestRepositoryWorkflows: the repository's own workflows pass actionlint
// and pin every action to a full commit SHA with its version in a comment.
func TestRepositoryWorkflows(t *testing.T) {
	needTools(t)
	if out, err := runTool(t, ".", nil, tool(t, "actionlint"), "-no-color"); err != nil {
		t.Errorf("actionlint:\n%s", out)
	}
	files, _ := filepath.Glob(".github/workflows/*.yml")
	pinned := regexp.MustCompile(`uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$`)
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for _, l := range strings.Split(string(data), "\n") {
			l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- "))
			if strings.HasPrefix(l, "uses:") && !strings.HasPrefix(l, "uses: ./") && !pinned.MatchString(l) {
				t.Errorf("%s: %q is not pinned to a commit SHA with its version", f, l)
			}
		}
		if !strings.Contains(string(data), "\npermissions:\n  contents: read\n") {
			t.Errorf("%s: the workflow's default permissions are not read-only", f)
		}
	}
}

func mustGit(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.email=ci@example.invalid", "-c", "user.name=ci", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// gitlabToken is the fake GitLab's token; like the SPLX token it may
// appear in no log.
const gitlabToken = gitlabtest.Token

// TestGitLabCI runs the README's GitLab examples and the CI/CD component
// with gitlab-ci-local against the fake API, the binary standing in for
// the image (shell executor): the job gates, and a later job reads the
// dotenv report. With a merge-request pipeline's variables the job keeps
// one note on the merge request through a fake GitLab API and writes the
// Code Quality report the pipeline declares.
func TestGitLabCI(t *testing.T) {
	needTools(t)
	glci := tool(t, "gitlab-ci-local")
	bin := binary(t)
	blocks := readmeYAML(t)["gitlab"]
	if len(blocks) != 2 {
		t.Fatalf("%d GitLab examples in the README, want the job image and the component", len(blocks))
	}
	component := blocks[1].text
	for _, want := range []string{"  - project: splx-ai/splx-probe-action\n", "    file: templates/splx-probe.yml\n"} {
		if !strings.Contains(component, want) {
			t.Fatalf("the README's component example lacks %q:\n%s", want, component)
		}
	}
	// The project include, made local: gitlab-ci-local reaches no GitLab.
	component = strings.Replace(component, "  - project: splx-ai/splx-probe-action\n    ref: v1\n    file: templates/splx-probe.yml\n", "  - local: templates/splx-probe.yml\n", 1)
	component += "\nreport:\n  needs: [splx-probe]\n  script:\n    - echo \"run $SPLX_TEST_RUN_ID ended $SPLX_RESULT\"\n"
	tests := []struct {
		name, pipeline, job string
		mergeRequest        bool
	}{
		{"job image", blocks[0].text, "red-team", false},
		{"job image, merge request", blocks[0].text, "red-team", true},
		{"component, merge request", component, "splx-probe", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := testenv.NewAPI(t, fakeapi.WithSteps(0))
			gl := gitlabtest.Start(t)
			dir := t.TempDir()
			testenv.WriteFile(t, filepath.Join(dir, ".gitlab-ci.yml"), tt.pipeline)
			copyFile(t, "templates/splx-probe.yml", filepath.Join(dir, "templates", "splx-probe.yml"), 0o644)
			mustGit(t, dir, "init", "-q")
			mustGit(t, dir, "remote", "add", "origin", "https://gitlab.example.invalid/acme/bot.git")
			mustGit(t, dir, "add", "-A")
			mustGit(t, dir, "commit", "-qm", "pipeline")
			// GitLab sets GITLAB_CI=true in every job; gitlab-ci-local does not.
			args := []string{"--force-shell-executor", "--json-schema-validation", "--variable", "GITLAB_CI=true",
				"--variable", "SPLX_API_KEY=" + testToken, "--variable", "SPLX_API_URL=" + api.URL, "--variable", "SPLX_POLL_INTERVAL=1s"}
			if tt.mergeRequest {
				// What GitLab gives a merge-request pipeline's job, the API
				// on a self-managed instance's relative URL root.
				for _, kv := range []string{"CI_PIPELINE_SOURCE=merge_request_event", "CI_MERGE_REQUEST_IID=9", "CI_PROJECT_ID=5",
					"CI_API_V4_URL=" + gl.APIURL(), "SPLX_GITLAB_TOKEN=" + gitlabToken} {
					args = append(args, "--variable", kv)
				}
			}
			out, err := runTool(t, dir, []string{"PATH=" + filepath.Dir(bin) + ":" + os.Getenv("PATH")}, glci, args...)
			if err != nil {
				t.Fatalf("gitlab-ci-local: %v\n%s", err, out)
			}
			if !strings.Contains(out, "run 1001 ended passed") {
				t.Errorf("the later job did not read the dotenv report:\n%s", out)
			}
			for _, tok := range []string{testToken, gitlabToken, "::add-mask::"} {
				if strings.Contains(out, tok) {
					t.Errorf("the log shows a token or a GitHub command:\n%s", out)
				}
			}
			if api.Count(fakeapi.OpTrigger) != 1 {
				t.Errorf("%d triggers, want 1", api.Count(fakeapi.OpTrigger))
			}
			notes := gl.Ours()
			if !tt.mergeRequest {
				if len(gl.Requests()) != 0 {
					t.Errorf("%d GitLab requests off a merge request, want none", len(gl.Requests()))
				}
				return
			}
			if len(notes) != 1 || !strings.Contains(out, "Added a note to merge request !9.") {
				t.Fatalf("%d notes, want 1:\n%s", len(notes), out)
			}
			for _, body := range notes {
				for _, want := range []string{"### ✅ SPLX Probe red team: passed", "Test run 1001", "its key: " + tt.job + " / target 42"} {
					if !strings.Contains(body, want) {
						t.Errorf("note lacks %q:\n%s", want, body)
					}
				}
			}
			// The shell executor runs the job in the project's folder.
			data, err := os.ReadFile(filepath.Join(dir, "splx-code-quality.json"))
			if err != nil {
				t.Fatalf("no Code Quality report: %v\n%s", err, out)
			}
			// The fake's run has findings within the gate: Jailbreak's.
			if !strings.Contains(string(data), `"check_name": "splx-probe/1"`) || !strings.Contains(string(data), `"path": ".gitlab-ci.yml"`) {
				t.Errorf("Code Quality report:\n%s", data)
			}
		})
	}
}

// packOrb packs an orb source folder the way `circleci orb pack` does:
// @orb.yml, then each folder as a key with one entry per file.
func packOrb(t *testing.T, src string) string {
	t.Helper()
	head, err := os.ReadFile(filepath.Join(src, "@orb.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(strings.TrimRight(string(head), "\n") + "\n")
	dirs, _ := os.ReadDir(src)
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].Name() < dirs[j].Name() })
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		b.WriteString(d.Name() + ":\n")
		files, _ := filepath.Glob(filepath.Join(src, d.Name(), "*.yml"))
		sort.Strings(files)
		for _, f := range files {
			data, _ := os.ReadFile(f)
			b.WriteString("  " + strings.TrimSuffix(filepath.Base(f), ".yml") + ":\n")
			for _, l := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
				if l != "" {
					l = "    " + l
				}
				b.WriteString(l + "\n")
			}
		}
	}
	return b.String()
}

// TestCircleCIConfigs: the README's CircleCI examples and the packed orb
// (with its usage example) pass CircleCI's own config parser.
func TestCircleCIConfigs(t *testing.T) {
	needTools(t)
	node := tool(t, "node")
	nodePath := filepath.Join(os.Getenv("SPLX_NODE_TOOLS"), "node_modules")
	validator, _ := filepath.Abs("e2e/testdata/tools/circleci-validate.js")
	dir := t.TempDir()
	orb := filepath.Join(dir, "orb.yml")
	testenv.WriteFile(t, orb, packOrb(t, "orb/src"))
	configs := map[string]string{}
	for _, b := range readmeYAML(t)["circleci"] {
		configs[fmt.Sprintf("README line %d", b.line)] = b.text
	}
	if len(configs) != 2 {
		t.Fatalf("%d CircleCI examples in the README, want the job image and the orb", len(configs))
	}
	// The orb itself, as a config: its jobs, commands and executors with a
	// workflow that uses them.
	configs["packed orb"] = packOrb(t, "orb/src") + "workflows:\n  red-team:\n    jobs:\n      - red-team:\n          target-id: \"42\"\n          probe-ids: \"1,2,3\"\n"
	example, _ := os.ReadFile("orb/src/examples/gate.yml")
	usage := string(example)[strings.Index(string(example), "usage:\n")+len("usage:\n"):]
	configs["orb example"] = regexp.MustCompile(`(?m)^  `).ReplaceAllString(usage, "")
	for name, text := range configs {
		f := filepath.Join(dir, "config.yml")
		testenv.WriteFile(t, f, text)
		args := []string{validator, f}
		if strings.Contains(text, "\norbs:\n") {
			args = append(args, orb)
		}
		out, err := runTool(t, dir, []string{"NODE_PATH=" + nodePath}, node, args...)
		if err != nil || !strings.Contains(out, "valid: jobs") {
			t.Errorf("%s: CircleCI's parser rejects it: %v\n%s\n%s", name, err, out, text)
		}
	}
	// The parser does reject a broken config, so the checks above mean something.
	bad := filepath.Join(dir, "bad.yml")
	testenv.WriteFile(t, bad, strings.Replace(configs["packed orb"], "- store_test_results:", "- store_tests:", 1))
	if out, err := runTool(t, dir, []string{"NODE_PATH=" + nodePath}, node, validator, bad); err == nil {
		t.Errorf("the parser took a config with an unknown step:\n%s", out)
	}
}

// notInCIJobs are the settings the orb and the GitLab component leave out:
// each only means something on GitHub.
var notInCIJobs = map[string]string{
	"github-token":   "the pull request comment is GitHub's",
	"pr-comment":     "the pull request comment is GitHub's",
	"comment-key":    "the pull request comment is GitHub's",
	"sarif-path":     "SARIF is for GitHub code scanning",
	"sarif-location": "SARIF is for GitHub code scanning",
}

// yamlChildren returns the keys directly under the mapping at path in a
// block-style YAML text (two-space indentation, as our files are written).
func yamlChildren(t *testing.T, text string, path ...string) []string {
	t.Helper()
	lines := strings.Split(text, "\n")
	start, indent := 0, 0
	for _, key := range path {
		found := false
		for i := start; i < len(lines); i++ {
			l := lines[i]
			trimmed := strings.TrimLeft(l, " ")
			depth := len(l) - len(trimmed)
			if trimmed != "" && depth < indent {
				break
			}
			if depth == indent && (trimmed == key+":" || strings.HasPrefix(trimmed, key+": ")) {
				start, indent, found = i+1, indent+2, true
				break
			}
		}
		if !found {
			t.Fatalf("no %s in:\n%s", strings.Join(path, "."), text)
		}
	}
	var keys []string
	for _, l := range lines[start:] {
		trimmed := strings.TrimLeft(l, " ")
		depth := len(l) - len(trimmed)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if depth < indent {
			break
		}
		if key, _, ok := strings.Cut(trimmed, ":"); ok && depth == indent && !strings.HasPrefix(trimmed, "- ") {
			keys = append(keys, key)
		}
	}
	return keys
}

// ciJobSettings are the settings a CircleCI or GitLab job exposes, in the
// settings table's order, with the extras its file adds first and last.
func ciJobSettings(first []string, skip map[string]bool, last ...string) []string {
	want := append([]string(nil), first...)
	for _, s := range config.Settings() {
		if !s.EnvOnly && notInCIJobs[s.Name] == "" && !skip[s.Name] {
			want = append(want, s.Name)
		}
	}
	return append(want, last...)
}

// TestOrbParameters: the packed orb's red-team job and gate command take
// every setting that means something in a CircleCI job, by the action's
// input names, and hand each one to the binary; the job pins the image by
// a parameter and keeps the reports whatever the verdict.
func TestOrbParameters(t *testing.T) {
	t.Parallel()
	orb := packOrb(t, "orb/src")
	command := ciJobSettings(nil, nil, "reports")
	if diff := cmp.Diff(command, yamlChildren(t, orb, "commands", "gate", "parameters")); diff != "" {
		t.Errorf("gate command parameters (-settings +orb):\n%s", diff)
	}
	job := append([]string{"image-tag"}, command...)
	if diff := cmp.Diff(job, yamlChildren(t, orb, "jobs", "red-team", "parameters")); diff != "" {
		t.Errorf("red-team job parameters (-settings +orb):\n%s", diff)
	}
	for _, s := range config.Settings() {
		if s.EnvOnly || notInCIJobs[s.Name] != "" {
			continue
		}
		if !strings.Contains(orb, "\n          "+s.Name+": << parameters."+s.Name+" >>\n") {
			t.Errorf("the red-team job does not hand %s to the gate command", s.Name)
		}
		if s.Secret {
			continue
		}
		// A blank flag counts as unset, so a context's SPLX_* still applies.
		v := "ORB_" + s.EnvName()
		if !strings.Contains(orb, "\n            "+v+": \"<< parameters."+s.Name+" >>\"\n") || !strings.Contains(orb, "--"+s.Name+"=\"$"+v+"\"") {
			t.Errorf("the gate command does not pass %s to the binary as --%s=\"$%s\"", s.Name, s.Name, v)
		}
	}
	if !strings.Contains(orb, "\n      tag: << parameters.image-tag >>\n") {
		t.Error("the red-team job does not run the image tag it was given")
	}
	for _, step := range []string{"store_test_results", "store_artifacts"} {
		if !strings.Contains(orb, "\n      - "+step+":\n          path: << parameters.reports >>\n          when: always\n") {
			t.Errorf("the gate command's %s does not run when: always", step)
		}
	}
}

// TestGitLabComponentInputs: the component's spec: inputs: are every
// setting that means something in a GitLab job (the tokens stay masked
// CI/CD variables), and the job hands each to the binary.
func TestGitLabComponentInputs(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("templates/splx-probe.yml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	spec, job, _ := strings.Cut(text, "\n---\n")
	// A GitLab job also takes the Code Quality report and the settings of
	// the merge request note (its token, too, stays a masked variable).
	gitlabOnly := map[string]bool{"codequality-path": true, "pr-comment": true, "comment-key": true}
	want := []string{"stage", "image"}
	for _, s := range config.Settings() {
		if gitlabOnly[s.Name] || !s.EnvOnly && notInCIJobs[s.Name] == "" && s.Name != "api-key" {
			want = append(want, s.Name)
		}
	}
	if diff := cmp.Diff(want, yamlChildren(t, spec, "spec", "inputs")); diff != "" {
		t.Errorf("spec: inputs: (-settings +component):\n%s", diff)
	}
	for _, name := range want[2:] {
		var env string
		for _, s := range config.Settings() {
			if s.Name == name {
				env = s.EnvName()
			}
		}
		if !strings.Contains(job, "\n    "+env+": \"$[[ inputs."+name+" ]]\"\n") {
			t.Errorf("the job does not hand input %s to the binary as %s", name, env)
		}
	}
}

// TestOrbGateRunsByHand runs the orb's gate step the way CircleCI does:
// its parameters substituted, its environment set, its command under
// busybox sh (the image's shell). Parameters left blank fall through to
// the context's SPLX_* variables, so the gate a context sets is the gate.
func TestOrbGateRunsByHand(t *testing.T) {
	needTools(t)
	bin := binary(t)
	data, err := os.ReadFile("orb/src/commands/gate.yml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	params := map[string]string{"target-id": "42", "probe-ids": "1,3"}
	for _, name := range yamlChildren(t, text, "parameters") {
		if _, ok := params[name]; ok {
			continue
		}
		m := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(name) + `:\n(?:    .*\n)*?    default: (.*)$`).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("parameter %s has no default", name)
		}
		params[name] = strings.Trim(m[1], `"`)
	}
	text = regexp.MustCompile(`<< parameters\.([a-z-]+) >>`).ReplaceAllStringFunc(text, func(s string) string {
		return params[strings.TrimSuffix(strings.TrimPrefix(s, "<< parameters."), " >>")]
	})
	var env []string
	for _, m := range regexp.MustCompile(`(?m)^        (ORB_[A-Z_]+): "(.*)"$`).FindAllStringSubmatch(text, -1) {
		env = append(env, m[1]+"="+m[2])
	}
	folded := text[strings.Index(text, "      command: >-\n")+len("      command: >-\n"):]
	var command []string
	for _, l := range strings.Split(folded, "\n") {
		if !strings.HasPrefix(l, "        ") {
			break
		}
		command = append(command, strings.TrimSpace(l))
	}
	for _, tt := range []struct {
		maxFailed string
		exit      int
	}{{"5", 0}, {"0", 1}} {
		t.Run("context SPLX_MAX_FAILED="+tt.maxFailed, func(t *testing.T) {
			api := testenv.NewAPI(t, fakeapi.WithSteps(0))
			dir := t.TempDir()
			cmd := exec.Command("/bin/busybox", "sh", "-c", strings.Join(command, " "))
			cmd.Dir = dir
			cmd.Env = append(env, "PATH="+filepath.Dir(bin)+":/usr/bin:/bin", "CIRCLECI=true", "BASH_ENV="+filepath.Join(dir, "bash_env"),
				"SPLX_API_KEY="+testToken, "SPLX_API_URL="+api.URL, "SPLX_POLL_INTERVAL=1s", "SPLX_MAX_FAILED="+tt.maxFailed)
			out, err := cmd.CombinedOutput()
			code := 0
			if err != nil {
				code = cmd.ProcessState.ExitCode()
			}
			if code != tt.exit {
				t.Errorf("exit %d, want %d\n%s", code, tt.exit, out)
			}
			if _, err := os.Stat(filepath.Join(dir, "splx-reports", "junit.xml")); err != nil {
				t.Errorf("no JUnit report in the reports folder: %v\n%s", err, out)
			}
			if api.Count(fakeapi.OpTrigger) != 1 || strings.Contains(string(out), testToken) {
				t.Errorf("%d triggers, or the token in the log:\n%s", api.Count(fakeapi.OpTrigger), out)
			}
		})
	}
}
