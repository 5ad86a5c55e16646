package cli_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// TestDoctor: the preflight checks through the real entry point. It never
// triggers or cancels, writes no outputs, prints one line per check and
// exits with the code a real run would have for the first failure.
func TestDoctor(t *testing.T) {
	t.Parallel()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + closed.Addr().String()
	closed.Close()
	tests := []struct {
		name  string
		args  []string
		env   []string
		fault *fakeapi.Fault
		code  cli.ExitCode
		want  []string
		// models is how many requests the models list gets.
		models int
		// not must not be printed; cancelled runs with a cancelled context.
		not       []string
		cancelled bool
	}{
		{name: "all good, as a command", args: []string{"doctor"}, code: cli.ExitOK, models: 1, want: []string{
			"✓ settings: valid (5 settings given: api-key, target-id, probe-ids, api-url, dotenv-path)", "✓ platform: GitHub Actions",
			"✓ GITHUB_OUTPUT: writable", "✓ proxy: none", "– CA certificates: not used (plain http to a loopback host)",
			"✓ DNS: 127.0.0.1 resolves", "✓ API: 127.0.0.1:PORT answers over plain http (loopback)", "✓ token: accepted (GET /api/v2/benchmarks/models: 1 model)",
			"– test run: none given", "all checks passed"}},
		{name: "as a setting", env: []string{"SPLX_DOCTOR", "true"}, code: cli.ExitOK, models: 1, want: []string{"✓ token: accepted"}},
		{name: "invalid settings, all listed, nothing sent", args: []string{"doctor"}, env: []string{"SPLX_TARGET_ID", "x", "SPLX_REGION", "mars"}, code: cli.ExitInvalidInput, want: []string{
			`✗ settings: target-id: "x" is not a positive integer`, `✗ settings: region: "mars" is not a region`, "2 checks failed (exit 2"}},
		{name: "token rejected", args: []string{"doctor"}, env: []string{"SPLX_API_KEY", "tok-OTHER-REGION"}, code: cli.ExitAuth, models: 1, want: []string{
			"✓ API: 127.0.0.1:PORT answers", "✗ token: list benchmark models: HTTP 401", "tokens expire", "check that api-url is the API of the platform the token comes from"}},
		{name: "models list forbidden", args: []string{"doctor"}, fault: &fakeapi.Fault{Op: fakeapi.OpModels, Status: 403, Body: `{"error":{"message":"Forbidden","code":"FORBIDDEN"}}`}, code: cli.ExitOK, models: 1, want: []string{
			"✓ token: accepted (the models list is not allowed for this user: HTTP 403)"}},
		{name: "API unreachable", args: []string{"doctor"}, env: []string{"SPLX_API_URL", closedURL}, code: cli.ExitAPI, want: []string{
			"✗ API: list benchmark models: ", "connection refused", "fix: check api-url"}},
		{name: "test run readable", args: []string{"doctor"}, env: []string{"SPLX_TEST_RUN_ID", "1001"}, code: cli.ExitOK, models: 1, want: []string{
			"✓ test run: 1001 is readable (status PENDING, 1 probe run)"}},
		{name: "test run unknown", args: []string{"doctor"}, env: []string{"SPLX_TEST_RUN_ID", "999"}, code: cli.ExitInvalidInput, models: 1, want: []string{
			"✗ test run: read test run status: HTTP 400", "fix: check test-run-id"}},
		{name: "output file not writable: a warning, exit unchanged", args: []string{"doctor"}, env: []string{"GITHUB_OUTPUT", "/nonexistent/output"}, code: cli.ExitOK, models: 1, want: []string{
			"! GITHUB_OUTPUT: cannot be written", "a real run warns", "no check failed, with 1 warning (! above)"}, not: []string{"all checks passed"}},
		{name: "report paths checked, nothing left behind", args: []string{"doctor"}, env: []string{"SPLX_WAIT", "true", "SPLX_JUNIT_PATH", "/dev/null/junit.xml", "SPLX_RESULTS_PATH", "REPORTS/new/results.json"}, code: cli.ExitAPI, models: 1, want: []string{
			"✗ junit-path: could not write /dev/null/junit.xml: cannot create the folder /dev/null: not a directory", "✓ results-path: writable", "1 check failed (exit 6"}, not: []string{"all checks passed"}},
		{name: "a hanging API costs one request-timeout", args: []string{"doctor"}, env: []string{"SPLX_REQUEST_TIMEOUT", "1s"}, fault: &fakeapi.Fault{Op: fakeapi.OpModels, Hang: true, Times: 10}, code: cli.ExitAPI, models: 1, want: []string{
			"✗ API: list benchmark models: "}, not: []string{"all checks passed", "Retrying"}},
		{name: "usage error: no outputs", args: []string{"doctor", "--no-such-flag"}, code: cli.ExitInvalidInput, want: []string{"flag provided but not defined"}},
		{name: "interrupted", args: []string{"doctor"}, cancelled: true, code: cli.ExitInterrupted, want: []string{"::error title=Interrupted::the doctor was interrupted"}, not: []string{"all checks passed", "fix: check api-url"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := testenv.NewAPI(t)
			api.AddRun(42, 1)
			if tt.fault != nil {
				api.Fail(*tt.fault)
			}
			dir := t.TempDir()
			env := testenv.With(baseEnv(api), githubEnvPairs(t, dir)...)
			env = testenv.With(env, tt.env...)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancelled {
				cancel()
			}
			if strings.Contains(env["SPLX_RESULTS_PATH"], "REPORTS") {
				env["SPLX_RESULTS_PATH"] = filepath.Join(dir, env["SPLX_RESULTS_PATH"])
			}
			r := invoke(t, ctx, env, tt.args...)
			out := normalise(r.stdout + r.stderr)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d\n%s", r.code, tt.code, out)
			}
			check(t, out, tt.want, tt.not)
			if _, err := os.Stat(filepath.Join(dir, "REPORTS")); err == nil {
				t.Error("the doctor created a report folder")
			}
			if n := api.Count(fakeapi.OpModels); n != tt.models && !tt.cancelled {
				t.Errorf("%d models requests, want %d", n, tt.models)
			}
			for _, op := range []string{fakeapi.OpTrigger, fakeapi.OpCancel} {
				if n := api.Count(op); n != 0 {
					t.Errorf("the doctor sent %d %s requests", n, op)
				}
			}
			if data, _ := os.ReadFile(filepath.Join(dir, "github_output")); len(data) != 0 {
				t.Errorf("the doctor wrote outputs: %q", data)
			}
		})
	}
}

// TestDoctorPlain is the doctor's whole report on a terminal, as a golden
// file.
func TestDoctorPlain(t *testing.T) {
	t.Parallel()
	api := testenv.NewAPI(t)
	r := invoke(t, context.Background(), baseEnv(api), "doctor")
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkGolden(t, "plain/doctor.stdout", r.stdout)
}
