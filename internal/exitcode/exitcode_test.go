package exitcode

import "testing"

// TestTable: the codes are the documented ones, each once, and an exit's
// result word comes from its row ("error" for a code outside the table).
func TestTable(t *testing.T) {
	t.Parallel()
	seen := map[Code]bool{}
	for _, i := range Table() {
		if seen[i.Code] || i.Result == "" || i.Help == "" {
			t.Errorf("row %+v: duplicate or incomplete", i)
		}
		seen[i.Code] = true
	}
	for code, want := range map[Code]string{OK: "passed", GateFailed: "failed", NoVerdict: "no-verdict", Timeout: "timed-out", Interrupted: "interrupted", API: "error", Code(99): "error"} {
		if got := code.Result(); got != want {
			t.Errorf("%d: result %q, want %q", code, got, want)
		}
	}
}
