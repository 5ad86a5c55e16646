// Package testenv holds what the tests of several packages share: the fake
// Probe API with the tests' token, the environment and files a CI runner
// gives and reads back, the SARIF file as code scanning reads it, paging
// for the fake APIs, and waiting on real time. Only tests import it.
package testenv

import (
	"bufio"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/fakeapi"
)

// Token is the SPLX token of every test. No output may contain it except
// the ::add-mask:: line that hides it on GitHub.
const Token = "tok-SECRET-7f3a9c"

// NewAPI starts a fake Probe API that accepts Token; it stops when t ends.
func NewAPI(t testing.TB, opts ...fakeapi.Option) *fakeapi.Server {
	t.Helper()
	api := fakeapi.NewServer(append([]fakeapi.Option{fakeapi.WithToken(Token)}, opts...)...)
	t.Cleanup(api.Close)
	return api
}

// AssertCancel checks the cancel requests the run got: the documented GET
// on /api/v2/test-run/1001/cancel, with the token, want times.
func AssertCancel(t testing.TB, api *fakeapi.Server, want int) {
	t.Helper()
	n := 0
	for _, r := range api.Requests() {
		if !strings.HasSuffix(r.Path, "/cancel") {
			continue
		}
		n++
		if r.Method != "GET" || r.Path != "/api/v2/test-run/1001/cancel" || r.Header.Get("X-Api-Key") != Token {
			t.Errorf("cancel request %s %s (token sent: %v), want GET /api/v2/test-run/1001/cancel", r.Method, r.Path, r.Header.Get("X-Api-Key") == Token)
		}
	}
	if n != want {
		t.Errorf("%d cancel requests, want %d", n, want)
	}
}

// Eventually polls cond until it holds, failing the test after a deadline
// instead of hanging (a child process or a server runs on real time).
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// With returns a copy of m with kv pairs set.
func With(m map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(m)+len(kv)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// ParseGitHubFile reads $GITHUB_OUTPUT the way the runner does: name=value
// lines and name<<DELIM blocks.
func ParseGitHubFile(t testing.TB, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		l := sc.Text()
		if name, delim, ok := strings.Cut(l, "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			closed := false
			for sc.Scan() {
				if sc.Text() == delim {
					closed = true
					break
				}
				val = append(val, sc.Text())
			}
			if !closed {
				t.Fatalf("GITHUB_OUTPUT: block %s is not closed", name)
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		if name, val, ok := strings.Cut(l, "="); ok {
			out[name] = val
		} else if l != "" {
			t.Fatalf("GITHUB_OUTPUT: line %q is neither name=value nor a block", l)
		}
	}
	return out
}

// WriteFile writes text to path, creating its folder.
func WriteFile(t testing.TB, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Must returns v, failing on err (the test's own setup).
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Page is one page of a listing as GitHub and GitLab serve it: the ids of
// items oldest first, per to a page, on the page r asks for (?page=, 1 when
// absent), and whether a later page follows.
func Page[V any](items map[int64]V, r *http.Request, per int) (ids []int64, page int, next bool) {
	all := slices.Sorted(maps.Keys(items))
	page, _ = strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	from, to := min((page-1)*per, len(all)), min(page*per, len(all))
	return all[from:to], page, to < len(all)
}
