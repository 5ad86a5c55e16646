package config

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/splx-ai/splx-probe-action/internal/ci"
)

func TestParseProbeIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []int32
		wantErr string
	}{
		{"1,2,3", []int32{1, 2, 3}, ""},
		{" 3, 1 2\n3\n", []int32{3, 1, 2}, ""},
		{"1\n2\r\n3", []int32{1, 2, 3}, ""},
		{"[4, 5, 4]", []int32{4, 5}, ""},
		{"010", []int32{10}, ""},
		{"2147483647", []int32{2147483647}, ""},
		{"", nil, "is empty"},
		{"1,,2", nil, "empty element"},
		{"1,2,", nil, "empty element"},
		{"0", nil, "not a positive integer"},
		{"0x10", nil, "not a positive integer"},
		{"1_000", nil, "not a positive integer"},
		{"-1", nil, "not a positive integer"},
		{"1.5", nil, "not a positive integer"},
		{"2147483648", nil, "larger than"},
		{"[]", nil, "empty list"},
		{"[1,", nil, "not a JSON array"},
		{`["1"]`, nil, "not a positive integer"},
		{"[1.0]", nil, "not a positive integer"},
	}
	for _, tt := range tests {
		got, err := ParseProbeIDs(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseProbeIDs(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !cmp.Equal(got, tt.want) {
			t.Errorf("ParseProbeIDs(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseScalars(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]time.Duration{"30m": 30 * time.Minute, "90": 90 * time.Second, " 1h30m ": 90 * time.Minute} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "soon", "-1m", "0s", "1x"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) succeeded", in)
		}
	}
	for in, want := range map[string]bool{"true": true, "YES": true, "on": true, "1": true, "False": false, "no": false, "0": false} {
		if got, err := ParseBool(in); err != nil || got != want {
			t.Errorf("ParseBool(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseBool("maybe"); err == nil {
		t.Error(`ParseBool("maybe") succeeded`)
	}
	for in, want := range map[string]float64{"0": 0, "2.5": 2.5, "100": 100, "5%": 5} {
		if got, err := ParsePercent(in); err != nil || got != want {
			t.Errorf("ParsePercent(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"-1", "100.1", "1e2", "NaN", "Inf", "", "."} {
		if _, err := ParsePercent(in); err == nil {
			t.Errorf("ParsePercent(%q) succeeded", in)
		}
	}
	for _, in := range []string{"-1", "1.5", "", "0x1", "99999999999999999999"} {
		if _, err := ParseCount(in); err == nil {
			t.Errorf("ParseCount(%q) succeeded", in)
		}
	}
}

// TestPrecedence: flag, then non-blank INPUT_*, then non-blank SPLX_*, then
// the default, with each source recorded.
func TestPrecedence(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"INPUT_API-KEY": "", "SPLX_API_KEY": "key-12345",
		"INPUT_TARGET-ID": "5", "SPLX_TARGET_ID": "6",
		"INPUT_PROBE-IDS": "   ", "SPLX_PROBE_IDS": "7",
		"INPUT_REGION": "", "SPLX_REGION": "",
		"INPUT_TIMEOUT": "10m",
	}
	c, err := Load(context.Background(), map[string]string{"target-id": "42"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.TargetID != 42 || !cmp.Equal(c.ProbeIDs, IDList{7}) || c.Region != "eu" || time.Duration(c.Timeout) != 10*time.Minute || c.APIKey != "key-12345" {
		t.Errorf("config: %+v", c)
	}
	want := map[string]Source{"api-key": SourceEnv, "target-id": SourceFlag, "probe-ids": SourceEnv, "region": SourceDefault, "timeout": SourceInput, "name": SourceUnset}
	for name, src := range want {
		if c.Sources[name] != src {
			t.Errorf("source of %s = %q, want %q", name, c.Sources[name], src)
		}
	}
	if _, ok := c.Raw["api-key"]; ok {
		t.Error("the token is kept in Raw, which --print-config shows")
	}
	// A platform's reporter reads its settings through Value: a default
	// counts (GitLab writes splx-probe.env when dotenv-path is not set).
	if c.Value("dotenv-path") != "splx-probe.env" || c.Value("timeout") != "10m" || c.Value("name") != "" {
		t.Errorf("values %q %q %q", c.Value("dotenv-path"), c.Value("timeout"), c.Value("name"))
	}
	if c.APIURL.String() != "https://api.probe.splx.ai" || c.UIURL != "https://probe.splx.ai" {
		t.Errorf("hosts %s %s", c.APIURL, c.UIURL)
	}
}

func TestRegionsAndURLs(t *testing.T) {
	t.Parallel()
	base := map[string]string{"SPLX_API_KEY": "key-12345", "SPLX_TARGET_ID": "1", "SPLX_PROBE_IDS": "1"}
	c, err := Load(context.Background(), map[string]string{"region": "US"}, base)
	if err != nil || c.APIURL.String() != "https://us.api.probe.splx.ai" || c.UIURL != "https://us.probe.splx.ai" {
		t.Errorf("us: %v %v", c.APIURL, err)
	}
	for in, want := range map[string]string{
		"http://127.0.0.1:8080/":      "http://127.0.0.1:8080",
		"http://localhost:1":          "http://localhost:1",
		"http://[::1]:9":              "http://[::1]:9",
		"https://proxy.example/splx/": "https://proxy.example/splx",
	} {
		if u, err := ParseAPIURL(in); err != nil || u.String() != want {
			t.Errorf("ParseAPIURL(%q) = %v, %v", in, u, err)
		}
	}
	for _, in := range []string{"http://10.0.0.1", "ftp://x", "https://", "https://a/b?c=d", "https://user@x"} {
		if _, err := ParseAPIURL(in); err == nil {
			t.Errorf("ParseAPIURL(%q) succeeded", in)
		}
	}
}

// TestTokenNeverInErrors: whatever is wrong with the token, the error does
// not contain it.
func TestTokenNeverInErrors(t *testing.T) {
	t.Parallel()
	for _, tok := range []string{"sec ret", "secret\n", "secret\x00", "\tsecret"} {
		_, err := Load(context.Background(), nil, map[string]string{"SPLX_API_KEY": tok, "SPLX_TARGET_ID": "1", "SPLX_PROBE_IDS": "1"})
		var errs Errors
		if !errors.As(err, &errs) || errs[0].Name != "api-key" {
			t.Fatalf("token %q: %v", tok, err)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("error echoes the token: %v", err)
		}
	}
	for _, flag := range []string{"--api-key=secret", "--github-token=secret", "--github-token"} {
		_, err := ParseFlags([]string{flag})
		var ie *InputError
		if !errors.As(err, &ie) || strings.Contains(err.Error(), "secret") || !strings.Contains(ie.Reason, "never taken as a flag") {
			t.Errorf("%s: %v", flag, err)
		}
	}
}

// TestAllErrorsAtOnce: every invalid value is reported, each under its own
// name, in the order of Settings; an empty token is marked for the CI
// context to explain.
func TestAllErrorsAtOnce(t *testing.T) {
	t.Parallel()
	env := map[string]string{"SPLX_TARGET_ID": "x", "SPLX_PROBE_IDS": "1,,2", "SPLX_WAIT": "maybe", "SPLX_TIMEOUT": "soon", "SPLX_MAX_FAILED": "-1", "SPLX_REGION": "mars"}
	_, err := Load(context.Background(), nil, env)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("%v", err)
	}
	var names []string
	for _, e := range errs {
		names = append(names, e.Name)
	}
	if diff := cmp.Diff([]string{"api-key", "target-id", "probe-ids", "region", "wait", "timeout", "max-failed"}, names); diff != "" {
		t.Errorf("errors (-want +got):\n%s\n%v", diff, err)
	}
	if !errs[0].MissingToken {
		t.Error("the empty token is not marked as missing")
	}
}

// TestSettingsTable: the tags give every setting a name, a help line and
// consistent kinds; defaults parse.
func TestSettingsTable(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, s := range Settings() {
		if s.Name == "" || s.Help == "" || seen[s.Name] || s.EnvName() != "SPLX_"+strings.ToUpper(strings.ReplaceAll(s.Name, "-", "_")) {
			t.Errorf("setting %+v", s)
		}
		seen[s.Name] = true
		if !slices.Contains(Groups(), s.Group) {
			t.Errorf("setting %s is in no --help group (%q)", s.Name, s.Group)
		}
	}
	c, err := Load(context.Background(), nil, map[string]string{"SPLX_API_KEY": "key-12345", "SPLX_TARGET_ID": "1", "SPLX_PROBE_IDS": "1"})
	if err != nil || !bool(c.CancelOnAbort) || c.Platform != "auto" || time.Duration(c.PollInterval) != 15*time.Second || c.MaxFailed != nil {
		t.Errorf("defaults: %+v, %v", c, err)
	}
}

// TestPlatformNamesFromTheRegistry: the platform setting's help and its
// error list every platform internal/ci knows, so adding one there is
// enough for the setting to take it.
func TestPlatformNamesFromTheRegistry(t *testing.T) {
	t.Parallel()
	var help string
	for _, s := range Settings() {
		if s.Name == "platform" {
			help = s.Help
		}
	}
	_, err := Load(context.Background(), nil, map[string]string{"SPLX_API_KEY": "key-12345", "SPLX_TARGET_ID": "1", "SPLX_PROBE_IDS": "1", "SPLX_PLATFORM": "jenkins"})
	if err == nil {
		t.Fatal("platform jenkins was accepted")
	}
	for _, name := range append([]string{"auto"}, ci.Names()...) {
		if !strings.Contains(help, name) {
			t.Errorf("the platform setting's help %q does not name %s", help, name)
		}
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the platform error %q does not name %s", err, name)
		}
	}
	if want := "auto, github, gitlab, circleci or plain: how to report"; help != want {
		t.Errorf("help = %q, want %q", help, want)
	}
}

// TestEverySecretRefusesWhitespace: a pasted newline in any secret setting
// is refused under its own name, never echoed.
func TestEverySecretRefusesWhitespace(t *testing.T) {
	t.Parallel()
	for _, s := range Settings() {
		if !s.Secret || s.Name == "api-key" {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"SPLX_API_KEY": "key-12345", "SPLX_TARGET_ID": "1", "SPLX_PROBE_IDS": "1", s.EnvName(): "tok-ABC\n"}
			_, err := Load(context.Background(), nil, env)
			var errs Errors
			if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Name != s.Name {
				t.Fatalf("%s with a newline: %v", s.Name, err)
			}
			if strings.Contains(err.Error(), "tok-ABC") {
				t.Errorf("the error echoes the token: %v", err)
			}
		})
	}
}
