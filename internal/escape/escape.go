// Package escape makes untrusted text (everything the Probe API returns) safe
// for each place the tool writes it: log lines, Markdown, shell, dotenv files.
//
// The API is a red-team platform: probe names and error messages are written by
// whoever configured the target and may be hostile on purpose. Every function
// here assumes the worst about its input.
package escape

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TruncatedMarker ends any string that was cut to fit its cap.
const TruncatedMarker = "…(truncated)"

// Truncate cuts s to at most max bytes on a rune boundary, adding
// TruncatedMarker when anything was removed. max <= 0 means no cap.
func Truncate(s string, max int) string {
	if max <= 0 || len(s) <= max {
		return s
	}
	cut := max - len(TruncatedMarker)
	if cut < 0 {
		cut = 0
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + TruncatedMarker
}

// Line makes s safe to print as part of one line of a CI log, capped at max
// bytes. Control characters (newlines, carriage returns, ANSI escapes) are
// shown as visible escapes so that no text can start a new line, rewrite the
// terminal or hide itself; GitHub's workflow commands cannot start: the
// legacy "##[cmd]" form, honoured anywhere in a line, is broken wherever it
// appears, and the "::cmd::" form, honoured only at the start of a line, is
// broken when the text starts with it. A "::" elsewhere (an IPv6 address)
// is left as it is.
func Line(s string, max int) string {
	s = strings.ToValidUTF8(s, "�")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteByte(' ')
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == 0x1b:
			b.WriteString(`\e`)
		case unicode.IsControl(r), r == '\u2028', r == '\u2029', isBidi(r):
			b.WriteString(`\u`)
			const hex = "0123456789abcdef"
			b.WriteByte(hex[r>>12&0xf])
			b.WriteByte(hex[r>>8&0xf])
			b.WriteByte(hex[r>>4&0xf])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteRune(r)
		}
	}
	return Truncate(neutraliseCommands(b.String()), max)
}

// neutraliseCommands breaks every "##[" and a leading "::" (after white
// space, which the runner trims) by putting a space between the two
// characters.
func neutraliseCommands(s string) string {
	s = strings.ReplaceAll(s, "##[", "# #[")
	rest := strings.TrimLeftFunc(s, unicode.IsSpace)
	if strings.HasPrefix(rest, "::") {
		s = s[:len(s)-len(rest)] + ": :" + rest[2:]
	}
	return s
}

// isBidi reports Unicode bidirectional controls, which can make a log line
// read differently from what it contains.
func isBidi(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') || r == '\u200e' || r == '\u200f'
}

// MarkdownCell makes s safe inside a cell of a GitHub-flavoured Markdown
// table: HTML is written as entities, and the characters that end a cell, start
// code, emphasis, links, images or math ($) are backslash-escaped.
func MarkdownCell(s string, max int) string {
	s = Line(s, max)
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '|', '`', '*', '_', '[', ']', '(', ')', '!', '#', '~', '\\', '@', '$':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ShellQuote quotes s for a POSIX shell as one word, single-quoted, so that
// sourcing it runs nothing.
func ShellQuote(s string) string {
	s = strings.ReplaceAll(s, "\x00", "") // a shell variable cannot hold NUL
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Excerpt turns a response body into a short single-line excerpt for an error
// message.
func Excerpt(body []byte, max int) string {
	s := strings.TrimSpace(string(body))
	if s == "" {
		return "(empty body)"
	}
	return Line(strings.Join(strings.Fields(s), " "), max)
}

// zwj is the zero-width joiner that breaks GitHub's autolinks.
const zwj = "\u200d"

var (
	autoURL = regexp.MustCompile(`(?i)://|\bwww\.`)
	ghRef   = regexp.MustCompile(`(?i)\bgh-(\d)`)
	// mentions is built once: a Replacer builds its tables on first use,
	// which cost 6 KB for every comment cell when it was made per call.
	mentions = strings.NewReplacer("@", "@"+zwj, "#", "#"+zwj)
	// glRef is the start of a GitLab milestone (%v1, %"name") or epic (&12)
	// reference in MarkdownCell's output; GitLab leaves a backslash-escaped
	// one alone (since 14.0), as it does \!12, \~label and \$12.
	glRef = regexp.MustCompile(`%[\pL\pN]|%&quot;|&amp;\pN`)
)

// CommentCell is MarkdownCell for a pull request comment, where GitHub
// links text after rendering the Markdown, so a backslash does not stop it:
// a zero-width joiner after every @ and # keeps @user, @org/team and
// e-mail addresses from notifying anyone and #123 from linking an issue,
// and one inside "://", "www." and "GH-123" keeps URLs and references
// inert; GitLab's references (!12, ~label, $12, %milestone, &12) are
// backslash-escaped, which GitLab honours. The text reads the same; it
// cannot be clicked.
func CommentCell(s string, max int) string {
	s = MarkdownCell(s, max)
	s = mentions.Replace(s)
	s = autoURL.ReplaceAllStringFunc(s, func(m string) string {
		if m == "://" {
			return ":" + zwj + "//"
		}
		return m[:3] + zwj + m[3:]
	})
	s = ghRef.ReplaceAllStringFunc(s, func(m string) string { return m[:2] + zwj + m[2:] })
	return glRef.ReplaceAllStringFunc(s, func(m string) string {
		if rest, ok := strings.CutPrefix(m, "&amp;"); ok {
			return `\&` + rest // CommonMark: an escaped & starts no entity either
		}
		return `\` + m
	})
}
