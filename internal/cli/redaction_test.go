package cli_test

import (
	"context"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/gitlabtest"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// overEncode writes every byte of s as %XX, as a server that encodes more
// than it needs to does.
func overEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

var percentByte = regexp.MustCompile(`%[0-9A-Fa-f]{2}`)

// decodeAll undoes every escape a renderer or a server may have applied,
// several times over, so that a secret in any of them shows in clear.
func decodeAll(s string) string {
	for range 4 {
		s = percentByte.ReplaceAllStringFunc(s, func(m string) string {
			v, _ := strconv.ParseUint(m[1:], 16, 8)
			return string([]byte{byte(v)})
		})
		s = strings.ReplaceAll(html.UnescapeString(s), `\`, "")
	}
	return s
}

// TestRedactionForms: the API echoes the tokens in probe names, statuses
// and error bodies, in clear, over-encoded, as entities and as JSON
// escapes; through the real entry point no log line, annotation, output,
// job summary (Markdown), JUnit (XML), results file, SARIF (JSON, with
// Markdown help), Code Quality report, pull request comment or merge
// request note holds any token in any form.
func TestRedactionForms(t *testing.T) {
	t.Parallel()
	forms := func(tok string) []string {
		return []string{tok, overEncode(tok), strings.ToLower(overEncode(tok)), strings.ReplaceAll(tok, "_", "%5F"), strings.ReplaceAll(tok, "_", "&#95;"), strings.ReplaceAll(tok, "-", `\u002d`)}
	}
	var probes []fakeapi.Probe
	for i, f := range append(forms(githubToken), forms(testToken)...) {
		probes = append(probes, fakeapi.Probe{ID: int32(i + 1), Name: "echo " + f + " | *x*", Total: 10, Failed: 1})
	}
	ids := make([]string, len(probes))
	for i := range probes {
		ids[i] = strconv.Itoa(i + 1)
	}
	check := func(t *testing.T, r result) {
		t.Helper()
		for name, text := range leftBehind(r) {
			for _, l := range strings.Split(text, "\n") {
				if strings.HasPrefix(l, "::add-mask::") {
					continue
				}
				plain := decodeAll(l)
				for _, tok := range []string{githubToken, testToken, gitlabToken, "GITHUB-TOKEN-4c2e", "SECRET-7f3a9c", "GITLAB-TOKEN-8b1d"} {
					if strings.Contains(plain, tok) {
						t.Errorf("%s leaks %q in %q", name, tok, l)
					}
				}
			}
		}
	}
	t.Run("reports", func(t *testing.T) {
		t.Parallel()
		api := testenv.NewAPI(t, fakeapi.WithProbes(probes...), fakeapi.WithSteps(0))
		env := waitEnv(t, api, "SPLX_PROBE_IDS", strings.Join(ids, ","), "SPLX_GITHUB_TOKEN", githubToken)
		dir := filepath.Dir(env["GITHUB_OUTPUT"])
		r := invoke(t, context.Background(), testenv.With(env,
			"SPLX_JUNIT_PATH", filepath.Join(dir, "junit.xml"), "SPLX_RESULTS_PATH", filepath.Join(dir, "results.json"),
			"SPLX_SARIF_PATH", filepath.Join(dir, "splx.sarif"), "GITHUB_WORKFLOW_REF", "acme/chatbot/.github/workflows/red-team.yml@refs/heads/main"))
		if r.code != cli.ExitGateFailed || r.outputs["sarif-path"] == "" || !strings.Contains(r.summary, `echo \*\*\*`) {
			t.Fatalf("exit %d, sarif %q\n%s\n%s", r.code, r.outputs["sarif-path"], r.stdout, r.summary)
		}
		check(t, r)
	})
	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		api := testenv.NewAPI(t)
		body := append(forms(githubToken), forms(testToken)...)
		api.Fail(fakeapi.Fault{Op: fakeapi.OpTrigger, Status: 400, Body: `{"error":{"message":"bad ` + strings.ReplaceAll(strings.Join(body, " "), `\`, `\\`) + `","code":"BAD"}}`})
		r := invoke(t, context.Background(), testenv.With(waitEnv(t, api), "SPLX_GITHUB_TOKEN", githubToken))
		if r.code == cli.ExitOK || !strings.Contains(r.stdout, "bad ***") {
			t.Fatalf("exit %d\n%s", r.code, r.stdout)
		}
		check(t, r)
	})
	t.Run("doctor", func(t *testing.T) {
		t.Parallel()
		api := testenv.NewAPI(t)
		body := append(forms(githubToken), forms(testToken)...)
		api.Fail(fakeapi.Fault{Op: fakeapi.OpModels, Status: 502, Times: 10, Body: "<html>gateway echo " + strings.Join(body, " ") + "</html>"})
		r := invoke(t, context.Background(), testenv.With(baseEnv(api), "SPLX_GITHUB_TOKEN", githubToken), "doctor")
		if r.code == cli.ExitOK || !strings.Contains(r.stdout+r.stderr, "gateway echo ***") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		check(t, r)
	})
	t.Run("merge request note and Code Quality report", func(t *testing.T) {
		t.Parallel()
		var echo []fakeapi.Probe
		for i, f := range append(forms(gitlabToken), forms(testToken)...) {
			echo = append(echo, fakeapi.Probe{ID: int32(i + 1), Name: "echo " + f + " | *x*", Total: 10, Failed: 1})
		}
		api := testenv.NewAPI(t, fakeapi.WithProbes(echo...), fakeapi.WithSteps(0))
		gl := gitlabtest.Start(t)
		dir := t.TempDir()
		r := invoke(t, context.Background(), mrEnv(api, gl, dir, "SPLX_PROBE_IDS", strings.Join(ids[:len(echo)], ","),
			"SPLX_CODEQUALITY_PATH", filepath.Join(dir, "cq.json"), "SPLX_SARIF_PATH", filepath.Join(dir, "splx.sarif"), "SPLX_JUNIT_PATH", filepath.Join(dir, "junit.xml")))
		ours := gl.Ours()
		if _, err := os.Stat(filepath.Join(dir, "cq.json")); err != nil || len(ours) != 1 {
			t.Fatalf("exit %d, %d notes, Code Quality report: %v\n%s%s", r.code, len(ours), err, r.stdout, r.stderr)
		}
		for _, body := range ours {
			r.stdout += "\n" + body
		}
		r.dir = dir
		check(t, r)
	})
	t.Run("pull request comment", func(t *testing.T) {
		t.Parallel()
		api := testenv.NewAPI(t, fakeapi.WithProbes(probes...), fakeapi.WithSteps(0))
		gh := newGitHub(t)
		r := invoke(t, context.Background(), prEnv(t, api, gh, "pull_request", "SPLX_PROBE_IDS", strings.Join(ids, ",")))
		ours := gh.ours()
		if len(ours) != 1 {
			t.Fatalf("exit %d, %d comments\n%s", r.code, len(ours), r.stdout)
		}
		for _, body := range ours {
			r.stdout += "\n" + body // checked like the log
		}
		check(t, r)
	})
}

// TestEverySecretSettingIsMaskedAndRedacted: every setting that carries
// the secret mark, from either of its spellings, is masked on GitHub before
// anything else is printed and appears in no log line, output or file, even
// when the API echoes it in probe names. The secrets are read from the
// settings table, so a new secret setting is covered without touching any
// list.
func TestEverySecretSettingIsMaskedAndRedacted(t *testing.T) {
	t.Parallel()
	for _, spelling := range []string{"input", "variable"} {
		t.Run(spelling, func(t *testing.T) {
			t.Parallel()
			values := map[string]string{}
			var probes []fakeapi.Probe
			kv := []string{"SPLX_API_KEY", "", "SPLX_GITHUB_TOKEN", ""}
			for _, s := range config.Settings() {
				if !s.Secret {
					continue
				}
				v := "secret-" + s.Name + "-" + spelling + "-5d1c"
				values[s.Name] = v
				probes = append(probes, fakeapi.Probe{ID: int32(len(probes) + 1), Name: "echo " + v, Total: 10, Failed: 1})
				name := s.EnvName()
				if spelling == "input" {
					name = s.InputName()
				}
				kv = append(kv, name, v)
			}
			if len(values) < 2 {
				t.Fatalf("the settings table marks %d settings secret; api-key and github-token at least", len(values))
			}
			// The fake API accepts the api-key setting's value as its token.
			api := fakeapi.NewServer(fakeapi.WithToken(values["api-key"]), fakeapi.WithProbes(probes...), fakeapi.WithSteps(0))
			t.Cleanup(api.Close)
			ids := make([]string, len(probes))
			for i := range probes {
				ids[i] = strconv.Itoa(i + 1)
			}
			env := waitEnv(t, api, append(kv, "SPLX_PROBE_IDS", strings.Join(ids, ","))...)
			dir := filepath.Dir(env["GITHUB_OUTPUT"])
			r := invoke(t, context.Background(), testenv.With(env, "SPLX_JUNIT_PATH", filepath.Join(dir, "junit.xml"), "SPLX_RESULTS_PATH", filepath.Join(dir, "results.json")))
			if r.code != cli.ExitGateFailed {
				t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			for name, v := range values {
				if !strings.HasPrefix(r.stdout, "::add-mask::") || !strings.Contains(r.stdout, "::add-mask::"+v+"\n") {
					t.Errorf("%s is not masked before anything else is printed:\n%s", name, r.stdout)
				}
				unmasked := r
				unmasked.stdout = strings.ReplaceAll(r.stdout, "::add-mask::"+v+"\n", "")
				for where, text := range leftBehind(unmasked) {
					if strings.Contains(text, v) {
						t.Errorf("%s holds the %s setting's value in clear", where, name)
					}
				}
			}
		})
	}
}
