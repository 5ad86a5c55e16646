package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"

	"github.com/splx-ai/splx-probe-action/internal/escape"
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

// TestRedactEscapedForms: a secret written in any of the escapes the tool's
// renderers or a server produce, alone or mixed, once or twice over, is
// replaced whole; text around it is kept.
func TestRedactEscapedForms(t *testing.T) {
	t.Parallel()
	const gh = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
	const splx = "tok-SECRET+/=&<'7f3a9c"
	r := New(splx, gh, splx)
	mixed := func(s string, f func(i int, c byte) string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			b.WriteString(f(i, s[i]))
		}
		return b.String()
	}
	for _, secret := range []string{gh, splx} {
		forms := map[string]string{
			"Markdown":         escape.MarkdownCell(secret, 0),
			"Markdown in JSON": strings.ReplaceAll(escape.MarkdownCell(secret, 0), `\`, `\\`),
			"over-encoded URL": mixed(secret, func(_ int, c byte) string { return fmt.Sprintf("%%%02X", c) }),
			"lower-case %xx": mixed(secret, func(i int, c byte) string {
				return map[bool]string{true: fmt.Sprintf("%%%02x", c), false: string(c)}[i%2 == 0]
			}),
			"encoded twice":       url.QueryEscape(mixed(secret, func(_ int, c byte) string { return fmt.Sprintf("%%%02X", c) })),
			"annotation":          strings.NewReplacer("%", "%25", ":", "%3A", ",", "%2C").Replace(url.QueryEscape(secret)),
			"HTML entities":       html.EscapeString(secret),
			"decimal entities":    mixed(secret, func(_ int, c byte) string { return fmt.Sprintf("&#%d;", c) }),
			"hex entities":        mixed(secret, func(_ int, c byte) string { return fmt.Sprintf("&#x%X;", c) }),
			"entities escaped":    strings.ReplaceAll(html.EscapeString(secret), "&", "&amp;"),
			"JSON \\u":            mixed(secret, func(_ int, c byte) string { return fmt.Sprintf(`\u%04x`, c) }),
			"Go \\x":              mixed(secret, func(_ int, c byte) string { return fmt.Sprintf(`\x%02X`, c) }),
			"shell single quotes": strings.ReplaceAll(secret, "'", `'\''`),
		}
		for name, form := range forms {
			in := "before " + form + " after"
			if got := r.String(in); got != "before "+Mask+" after" {
				t.Errorf("%s of %.8s…: %q became %q", name, secret, in, got)
			}
			if got := string(r.Bytes([]byte(in))); got != "before "+Mask+" after" {
				t.Errorf("%s of %.8s… (bytes): %q", name, secret, got)
			}
		}
	}
	for _, plain := range []string{"ghs_ and \\_ and %5F", "u005f x5F &#95;", strings.Repeat("a", 100), "100%", "a & b", "trailing \\", "\xff\xfe%", "&amp;&#;&#x;", "\\u00", "%2"} {
		if got := r.String(plain); got != plain {
			t.Errorf("plain text %q changed to %q", plain, got)
		}
	}
}

func BenchmarkRedactSummary(b *testing.B) {
	r := New("tok-SECRET-7f3a9c", "ghs_16C7e42F292c6912E7710c838347Ae178B4a")
	text := []byte(strings.Repeat("| Jailbreak \\_ probe | FINISHED | 122 | 3 | 0 | 2.4% | ⚠️ findings within the gate |\n", 10000))
	b.SetBytes(int64(len(text)))
	for i := 0; i < b.N; i++ {
		r.Bytes(text)
	}
}

// TestStreamSplitSecret: a document written to a Stream in two pieces, cut
// anywhere (inside a secret, inside an escape of it), comes out exactly as
// the whole document redacted at once, with no secret left.
func TestStreamSplitSecret(t *testing.T) {
	t.Parallel()
	const tok = "tok-SECRET+/=&<7f3a9c"
	r := New(tok, "ghs_other-token")
	filler := strings.Repeat(`{"name": "probe", "count": 12},`+"\n", 1500) // over a chunk
	j, _ := json.Marshal(tok)
	for _, form := range []string{tok, string(j), url.QueryEscape(tok), html.EscapeString(tok), `\u0074ok-SECRET+/=\u0026<7f3a9c`, "ghs_other-token"} {
		doc := filler + `"echo": ` + form + "\n" + filler
		want := string(r.Bytes([]byte(doc)))
		if strings.Contains(want, form) {
			t.Fatalf("%q not redacted at all", form)
		}
		at := len(filler) + len(`"echo": `)
		for split := at - 3; split <= at+len(form)+3; split++ {
			var out bytes.Buffer
			s := r.Stream(&out)
			for _, piece := range []string{doc[:split], doc[split:]} {
				if _, err := s.Write([]byte(piece)); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if out.String() != want {
				t.Fatalf("%q split at %d: the stream differs from redacting the whole document", form, split-at)
			}
		}
	}
}

// TestStreamHoldsLittle: a stream passes text on as it goes, holding back
// at most about a chunk, not the whole document.
func TestStreamHoldsLittle(t *testing.T) {
	t.Parallel()
	r := New("tok-SECRET-7f3a9c")
	var out bytes.Buffer
	s := r.Stream(&out)
	line := []byte(`{"name": "probe", "count": 12},` + "\n")
	for i := 0; i < 100000; i++ {
		if _, err := s.Write(line); err != nil {
			t.Fatal(err)
		}
		if held := (i+1)*len(line) - out.Len(); held > streamChunk+len(line) {
			t.Fatalf("after %d bytes the stream holds %d", (i+1)*len(line), held)
		}
	}
	if err := s.Close(); err != nil || out.Len() != 100000*len(line) {
		t.Fatalf("closed with %v after %d bytes", err, out.Len())
	}
}
