package cli

import (
	"io"
	"strings"

	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
)

// demoToken is the fake API's token in the demo; it is not a secret.
const demoToken = "demo-token"

// demoEnv starts the fake Probe API on 127.0.0.1 and returns an environment
// that points the tool at it: the user's own SPLX_* and INPUT_* settings are
// dropped (no real token or credits are ever involved), and flags given
// after "demo" still apply.
func demoEnv(env map[string]string, flags map[string]string) (map[string]string, io.Closer) {
	api := fakeapi.NewServer(fakeapi.WithToken(demoToken), fakeapi.WithSteps(3))
	out := make(map[string]string, len(env)+8)
	for k, v := range env {
		if strings.HasPrefix(k, "SPLX_") || strings.HasPrefix(k, "INPUT_") {
			continue
		}
		out[k] = v
	}
	demo := map[string]string{
		"SPLX_API_KEY":            demoToken,
		"SPLX_API_URL":            api.URL,
		"SPLX_TARGET_ID":          "42",
		"SPLX_PROBE_IDS":          "1,2,3",
		"SPLX_NAME":               "splx-probe-action demo",
		"SPLX_WAIT":               "true",
		"SPLX_POLL_INTERVAL":      "1s",
		"SPLX_MAX_FAILED_PERCENT": "5",
	}
	if wait, err := config.ParseBool(flags["wait"]); err == nil && !wait {
		// A trigger-only demo: a threshold would be refused without a wait.
		delete(demo, "SPLX_MAX_FAILED_PERCENT")
	}
	for k, v := range demo {
		out[k] = v
	}
	return out, closer{api}
}

type closer struct{ s *fakeapi.Server }

func (c closer) Close() error { c.s.Close(); return nil }
