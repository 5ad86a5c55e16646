package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	const tok = "tok-SECRET+/=&<7f3a9c"
	r := New("", tok, "  ")
	b64 := func(prefix string) string { return base64.StdEncoding.EncodeToString([]byte(prefix + tok + "!")) }
	j, _ := json.Marshal(map[string]string{"echo": tok})
	tests := []string{
		"raw " + tok + " end",
		"query ?key=" + url.QueryEscape(tok),
		"path /" + url.PathEscape(tok),
		"json " + string(j),
		"basic " + b64(""),
		"basic " + b64("u:"),
		"basic " + b64("ab:"),
		"url-safe " + base64.URLEncoding.EncodeToString([]byte("x"+tok)),
		"xml &lt;" + strings.ReplaceAll(strings.ReplaceAll(tok, "&", "&amp;"), "<", "&lt;"),
	}
	for _, in := range tests {
		got := r.String(in)
		if !strings.Contains(got, Mask) {
			t.Errorf("%q: nothing redacted: %q", in, got)
		}
		for _, f := range forms(tok) {
			if strings.Contains(got, f) {
				t.Errorf("%q: form %q left in %q", in, f, got)
			}
		}
		if strings.Contains(got, "SECRET") {
			t.Errorf("%q: part of the token left: %q", in, got)
		}
	}
	var buf bytes.Buffer
	w := r.Writer(&buf)
	if n, err := w.Write([]byte("a " + tok + "\n")); err != nil || n != len(tok)+3 {
		t.Errorf("Write = %d, %v", n, err)
	}
	if buf.String() != "a ***\n" {
		t.Errorf("writer wrote %q", buf.String())
	}
	if got := (*Redactor)(nil).String(tok); got != tok {
		t.Errorf("nil redactor changed the text: %q", got)
	}
	if got := New().String("plain text"); got != "plain text" {
		t.Errorf("empty redactor changed the text: %q", got)
	}
}
