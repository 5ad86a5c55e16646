// Package e2e holds the tests that need more than the Go toolchain: the
// built binary as a child process, Docker, act, or the CI platforms' own
// tools. Each runs from the repository's root, as the tools do.
package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/testenv"
)

// TestMain runs the tests from the repository's root: they build the
// binary, read action.yml, the README and the workflows, and copy the tree.
func TestMain(m *testing.M) {
	if err := os.Chdir(".."); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// testToken is the token every test uses; no output may contain it.
const testToken = testenv.Token
