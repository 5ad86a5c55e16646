package config

import (
	"slices"
	"testing"
)

// TestSecretsComeFromTheMark: a setting added with the secret mark is
// masked and redacted from both of its spellings, with no list to update;
// a setting without the mark is not.
func TestSecretsComeFromTheMark(t *testing.T) {
	t.Parallel()
	settings := append(Settings(),
		Setting{Name: "slack-token", Secret: true, key: "SLACK_TOKEN"},
		Setting{Name: "slack-channel", key: "SLACK_CHANNEL"})
	env := map[string]string{
		"INPUT_SLACK-TOKEN": "xoxb-from-input", "SPLX_SLACK_TOKEN": "xoxb-from-variable",
		"SPLX_SLACK_CHANNEL": "#red-team", "SPLX_API_KEY": "tok-SECRET-7f3a9c",
	}
	got := secretsIn(settings, env)
	for _, v := range []string{"xoxb-from-input", "xoxb-from-variable", "tok-SECRET-7f3a9c"} {
		if !slices.Contains(got, v) {
			t.Errorf("secret %q is not among the secrets %q", v, got)
		}
	}
	if slices.Contains(got, "#red-team") {
		t.Errorf("a setting without the secret mark is redacted: %q", got)
	}
	if !slices.Contains(Secrets(env), "tok-SECRET-7f3a9c") {
		t.Error("the api-key setting is not a secret")
	}
}
