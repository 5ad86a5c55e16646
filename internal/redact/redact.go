// Package redact removes secrets from text before it is printed or written:
// the token as given, and the forms a server or a renderer may turn it into,
// so that a gateway that echoes the token in an error body cannot put it in
// a log or a report. Two kinds of forms are caught: those where each
// character of the secret is written in some escaped way, in any mix
// (backslash escapes of Markdown, JSON and Go, also doubled; %XX in either
// case, also over-encoded where no encoding was needed and encoded twice,
// as in annotations and URLs; HTML and XML entities, named, decimal or
// hexadecimal; \uXXXX and \xXX; a shell's '\”), and base64, whose
// characters do not map one to one.
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
	"unicode/utf8"
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
	// canon are the secrets' canonical forms, longest first: an escaped
	// form is found by decoding the text the same way.
	canon [][]byte
	// cut marks the bytes no form of any secret can contain, escaped or
	// not: text split right after one is redacted the same in two pieces
	// as in one (see Stream).
	cut [256]bool
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
	// Longest first: where one secret starts another, the longer one is
	// replaced whole.
	secrets = slices.Clone(secrets)
	slices.SortStableFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for i, s := range secrets {
		if strings.TrimSpace(s) == "" || slices.Contains(secrets[:i], s) {
			continue
		}
		for _, f := range forms(s) {
			addForm(f)
		}
		if c := canonicalise(s).b; len(c) > 0 {
			r.canon = append(r.canon, c)
		}
	}
	// Longest first, so that a form containing another is replaced whole.
	slices.SortFunc(r.forms, func(a, b string) int { return len(b) - len(a) })
	r.cutPoints()
	return r
}

// escapeSyntax are the bytes an escape decoded by canonicalise can be
// written with, besides the bytes it stands for: backslashes, %XX, entities
// (names, decimal and hexadecimal), \uXXXX and \xXX, a shell's '\”.
const escapeSyntax = "\\%&;#'xXuU0123456789abcdefABCDEF" + "amplgtquos"

// cutPoints finds the bytes no form can hold: none of a form's bytes, of a
// canonical secret's bytes or of the escape syntax. A match of a form or
// of an escaped form is a run of such bytes, so it never crosses one.
func (r *Redactor) cutPoints() {
	var in [256]bool
	for _, f := range r.forms {
		for i := 0; i < len(f); i++ {
			in[f[i]] = true
		}
	}
	for _, c := range r.canon {
		for _, x := range c {
			in[x] = true
		}
	}
	for i := 0; i < len(escapeSyntax); i++ {
		in[escapeSyntax[i]] = true
	}
	for i := range r.cut {
		// Bytes of UTF-8 sequences stay whole: a secret may be any text.
		r.cut[i] = !in[i] && i < utf8.RuneSelf
	}
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

// canonical is text with every character written in an escape decoded:
// the bytes it stands for, and for each byte where the escape that wrote
// it starts in the text. Backslashes before a character are dropped (a
// Markdown escape, and JSON of that); %XX is decoded in either case and
// however often %25 encoded it; HTML and XML entities, named, decimal or
// hexadecimal, also escaped again as &amp;…; \uXXXX, \UXXXXXXXX and \xXX
// after a backslash; a shell's '\” is a quote.
type canonical struct {
	b     []byte
	start []int32
}

func canonicalise(s string) canonical {
	var c canonical
	c.from(s)
	return c
}

// from sets c to the canonical form of s, reusing c's storage.
func (c *canonical) from(s string) {
	c.b, c.start = c.b[:0], c.start[:0]
	var buf [utf8.UTFMax]byte
	for i := 0; i < len(s); {
		if x := s[i]; x < utf8.RuneSelf && x != '\\' && x != '%' && x != '&' && x != '\'' {
			c.b = append(c.b, x)
			c.start = append(c.start, int32(i))
			i++
			continue
		}
		r, n, raw := decodeUnit(s, i)
		if n == 0 {
			break
		}
		out := buf[:0]
		if raw >= 0 {
			out = append(out, byte(raw))
		} else if r >= 0 {
			out = utf8.AppendRune(out, r)
		}
		for _, x := range out {
			c.b = append(c.b, x)
			c.start = append(c.start, int32(i))
		}
		i += n
	}
}

// decodeUnit decodes the escape at s[i:]: a rune r (or raw, a byte of
// %XX, when it is 0 or more), and the length n it takes in s. Trailing
// backslashes decode to nothing.
func decodeUnit(s string, i int) (r rune, n int, raw int) {
	j := i
	for j < len(s) && s[j] == '\\' {
		j++
	}
	if j == len(s) {
		return -1, j - i, -1
	}
	if j > i {
		d := 0
		switch s[j] {
		case 'u':
			d = 4
		case 'U':
			d = 8
		case 'x':
			d = 2
		}
		if d > 0 && j+1+d <= len(s) {
			if v, err := strconv.ParseUint(s[j+1:j+1+d], 16, 32); err == nil && utf8.ValidRune(rune(v)) {
				return rune(v), j + 1 + d - i, -1
			}
		}
	}
	switch s[j] {
	case '%':
		p := j + 1
		for strings.HasPrefix(s[p:], "25") && p+4 <= len(s) && isHex(s[p+2]) && isHex(s[p+3]) {
			p += 2
		}
		if p+2 <= len(s) && isHex(s[p]) && isHex(s[p+1]) {
			v, _ := strconv.ParseUint(s[p:p+2], 16, 8)
			return -1, p + 2 - i, int(v)
		}
	case '&':
		p := j + 1
		for strings.HasPrefix(s[p:], "amp;") {
			p += 4
		}
		if e := strings.IndexByte(s[p:min(len(s), p+12)], ';'); e > 0 {
			if v, ok := entity(s[p : p+e]); ok {
				return v, p + e + 1 - i, -1
			}
		}
		if p > j+1 {
			return '&', p - i, -1 // "&amp;" escaped n times
		}
	case '\'':
		if strings.HasPrefix(s[j:], `'\''`) {
			return '\'', j + 4 - i, -1
		}
	}
	v, size := utf8.DecodeRuneInString(s[j:])
	return v, j + size - i, -1
}

// entity decodes the name of an entity between & and ;.
func entity(name string) (rune, bool) {
	switch name {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "quot":
		return '"', true
	case "apos":
		return '\'', true
	}
	if !strings.HasPrefix(name, "#") {
		return 0, false
	}
	base, digits := 10, name[1:]
	if strings.HasPrefix(digits, "x") || strings.HasPrefix(digits, "X") {
		base, digits = 16, digits[1:]
	}
	v, err := strconv.ParseUint(digits, base, 32)
	if err != nil || !utf8.ValidRune(rune(v)) {
		return 0, false
	}
	return rune(v), true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// escapes could start in s: without any, the canonical form is s itself.
const escapes = "\\%&'"

// replaceEscaped replaces every escaped form of the secrets in s.
func (r *Redactor) replaceEscaped(s string, c *canonical) string {
	if len(r.canon) == 0 || !strings.ContainsAny(s, escapes) {
		return s
	}
	c.from(s)
	type span struct{ from, to int }
	var spans []span
	for _, secret := range r.canon {
		for off := 0; ; {
			k := bytes.Index(c.b[off:], secret)
			if k < 0 {
				break
			}
			first, last := off+k, off+k+len(secret)-1
			to := len(s)
			for x := last + 1; x < len(c.start); x++ {
				if c.start[x] != c.start[last] {
					to = int(c.start[x])
					break
				}
			}
			spans = append(spans, span{int(c.start[first]), to})
			off = last + 1
		}
	}
	if len(spans) == 0 {
		return s
	}
	slices.SortFunc(spans, func(a, b span) int { return a.from - b.from })
	var b strings.Builder
	at := 0
	for _, sp := range spans {
		if sp.to <= at {
			continue
		}
		if sp.from >= at {
			b.WriteString(s[at:sp.from])
			b.WriteString(Mask)
		}
		at = sp.to
	}
	b.WriteString(s[at:])
	return b.String()
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
	return r.replaceEscaped(s, &canonical{})
}

// Bytes is String for a byte slice.
func (r *Redactor) Bytes(b []byte) []byte {
	return r.bytes(b, &canonical{})
}

// bytes is Bytes with c's storage reused for the canonical form.
func (r *Redactor) bytes(b []byte, c *canonical) []byte {
	if r == nil {
		return b
	}
	for _, f := range r.forms {
		if bytes.Contains(b, []byte(f)) {
			b = bytes.ReplaceAll(b, []byte(f), []byte(Mask))
		}
	}
	if bytes.ContainsAny(b, escapes) {
		if out := r.replaceEscaped(string(b), c); len(out) != len(b) || out != string(b) {
			b = []byte(out)
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

// streamChunk is how much a Stream gathers before it redacts and passes
// text on: large enough that cut points are near, small enough to stay
// out of a big report's peak memory.
const streamChunk = 32 << 10

// Stream returns a writer that redacts a document written in any number of
// pieces, however they split it: a secret split across two writes is still
// caught. It passes text on only up to a byte that no form of a secret can
// hold, and keeps the rest for the next write, so it holds at most a chunk
// plus the longest run without such a byte. Close redacts and writes what
// is left; it does not close w.
func (r *Redactor) Stream(w io.Writer) io.WriteCloser {
	if r == nil || len(r.forms) == 0 {
		return nopCloser{w}
	}
	return &stream{r: r, w: w}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

type stream struct {
	r     *Redactor
	w     io.Writer
	buf   []byte
	canon canonical
	err   error
}

func (s *stream) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	s.buf = append(s.buf, p...)
	if len(s.buf) < streamChunk {
		return len(p), nil
	}
	k := len(s.buf) - 1
	for k >= 0 && !s.r.cut[s.buf[k]] {
		k--
	}
	if k < 0 {
		return len(p), nil // no cut point yet: keep gathering
	}
	if err := s.flush(s.buf[:k+1]); err != nil {
		return 0, err
	}
	s.buf = append(s.buf[:0], s.buf[k+1:]...)
	return len(p), nil
}

func (s *stream) flush(b []byte) error {
	if _, err := s.w.Write(s.r.bytes(b, &s.canon)); err != nil {
		s.err = err
	}
	return s.err
}

func (s *stream) Close() error {
	if s.err != nil {
		return s.err
	}
	err := s.flush(s.buf)
	s.buf = nil
	return err
}
