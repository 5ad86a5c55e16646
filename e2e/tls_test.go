package e2e

import (
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/cli"
	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// TestCustomCABundle: over HTTPS, a server whose CA is not trusted is
// refused, and SSL_CERT_FILE (a corporate CA bundle) makes it trusted. The
// bundle is read at process start, so this runs the real binary.
func TestCustomCABundle(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	api := testenv.NewAPI(t)
	ts := httptest.NewUnstartedServer(api)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	ts.StartTLS()
	defer ts.Close()
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	if err := os.WriteFile(bundle, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		env  []string
		code cli.ExitCode
		want string
	}{
		{"untrusted", nil, cli.ExitAPI, "certificate signed by unknown authority"},
		{"SSL_CERT_FILE", []string{"SSL_CERT_FILE=" + bundle}, cli.ExitOK, "Test run 1001"},
	} {
		cmd := exec.Command(bin)
		cmd.Env = append([]string{"SPLX_API_KEY=" + testToken, "SPLX_API_URL=" + ts.URL, "SPLX_TARGET_ID=42", "SPLX_PROBE_IDS=1",
			"SSL_CERT_DIR=" + t.TempDir()}, tt.env...)
		out, err := cmd.CombinedOutput()
		code := cli.ExitOK
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			code = cli.ExitCode(exit.ExitCode())
		}
		if code != tt.code || !strings.Contains(string(out), tt.want) || strings.Contains(string(out), "Retrying") {
			t.Errorf("%s: exit %d, want %d with %q:\n%s", tt.name, code, tt.code, tt.want, out)
		}
	}
	if api.Count(fakeapi.OpTrigger) != 1 {
		t.Errorf("%d triggers reached the API, want 1 (the trusted one)", api.Count(fakeapi.OpTrigger))
	}
}
