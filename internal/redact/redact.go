// Package redact removes secrets from text before it is printed or written:
// the token as given, and the forms a server or a renderer may turn it into
// (URL-encoded, base64, JSON, XML, quoted), so that a gateway that echoes
// the token in an error body cannot put it in a log or a report.
package redact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Mask replaces every form of a secret.
const Mask = "***"

// minCore is the shortest base64 fragment redacted inside a longer base64
// text: shorter ones would match ordinary text by chance.
const minCore = 8

// Redactor replaces the forms of a set of secrets. The zero value and nil
// redact nothing.
type Redactor struct {
	forms []string
}

// New returns a Redactor for the non-blank secrets.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	seen := map[string]bool{}
	addForm := func(f string) {
		if f != "" && !seen[f] {
			seen[f] = true
			r.forms = append(r.forms, f)
		}
	}
	for _, s := range secrets {
		if strings.TrimSpace(s) == "" {
			continue
		}
		for _, f := range forms(s) {
			addForm(f)
		}
	}
	// Longest first, so that a form containing another is replaced whole.
	slices.SortFunc(r.forms, func(a, b string) int { return len(b) - len(a) })
	return r
}

// forms lists the ways secret can appear in text.
func forms(secret string) []string {
	out := []string{secret, url.QueryEscape(secret), url.PathEscape(secret)}
	if q := strconv.Quote(secret); len(q) > 2 {
		out = append(out, q[1:len(q)-1])
	}
	if j, err := json.Marshal(secret); err == nil && len(j) > 2 {
		out = append(out, string(j[1:len(j)-1]))
	}
	var x bytes.Buffer
	if xml.EscapeText(&x, []byte(secret)) == nil {
		out = append(out, x.String())
	}
	// base64 of any text that contains the secret holds, depending on the
	// secret's offset modulo 3, one of three fragments fully determined by
	// the secret's bytes: redact each, in every alphabet.
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for k := 0; k < 3; k++ {
			padded := append(make([]byte, k), secret...)
			s := enc.EncodeToString(padded)
			start := (4*k + 2) / 3             // first character no prefix bit reaches
			end := (8 * (k + len(secret))) / 6 // last character wholly of secret bits
			if end-start >= minCore {
				out = append(out, s[start:end])
			}
		}
	}
	return out
}

// String returns s with every form of every secret replaced by Mask.
func (r *Redactor) String(s string) string {
	if r == nil {
		return s
	}
	for _, f := range r.forms {
		if strings.Contains(s, f) {
			s = strings.ReplaceAll(s, f, Mask)
		}
	}
	return s
}

// Bytes is String for a byte slice.
func (r *Redactor) Bytes(b []byte) []byte {
	if r == nil {
		return b
	}
	for _, f := range r.forms {
		if bytes.Contains(b, []byte(f)) {
			b = bytes.ReplaceAll(b, []byte(f), []byte(Mask))
		}
	}
	return b
}

// Writer returns a writer that redacts each Write before passing it on.
// Every message is written whole, so a secret never spans two writes.
func (r *Redactor) Writer(w io.Writer) io.Writer {
	if r == nil || len(r.forms) == 0 {
		return w
	}
	return &writer{r: r, w: w}
}

type writer struct {
	r *Redactor
	w io.Writer
}

func (w *writer) Write(p []byte) (int, error) {
	if _, err := w.w.Write(w.r.Bytes(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}
