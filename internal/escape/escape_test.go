package escape

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"a\nb\r\nc", `a\nb\r\nc`},
		{"::error::x", ": :error::x"},
		{"  ::error::x", "  : :error::x"},
		{"dial tcp [::1]:443: refused", "dial tcp [::1]:443: refused"},
		{"see ##[group]x", "see # #[group]x"},
		{"\x1b[31mred", `\e[31mred`},
		{"tab\there", "tab here"},
		{"nul\x00", `nul\u0000`},
		{"\u202eevil", `\u202eevil`},
		{"bad \xff utf8", "bad � utf8"},
	}
	for _, tt := range tests {
		if got := Line(tt.in, 0); got != tt.want {
			t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := Line(strings.Repeat("é", 100), 51)
	if len(long) > 51 || !strings.HasSuffix(long, TruncatedMarker) || !utf8.ValidString(long) {
		t.Errorf("truncated: %q (%d bytes)", long, len(long))
	}
}

func TestMarkdownCell(t *testing.T) {
	t.Parallel()
	got := MarkdownCell("<b>x</b> | `c` [l](u) & *", 0)
	want := `&lt;b&gt;x&lt;/b&gt; \| \` + "`c\\`" + ` \[l\]\(u\) &amp; \*`
	if got != want {
		t.Errorf("MarkdownCell = %q, want %q", got, want)
	}
}

func TestShellQuote(t *testing.T) {
	t.Parallel()
	if got := ShellQuote(`it's $(x)` + "\x00"); got != `'it'\''s $(x)'` {
		t.Errorf("ShellQuote = %q", got)
	}
}

// FuzzLine: whatever comes in, the result is one line that starts no
// workflow command and carries no terminal escape.
func FuzzLine(f *testing.F) {
	for _, s := range []string{"::error::x", "a\n::set-output name=a::b", "##[error]", ":\n:", "#\n#[", "\x1b]0;t\x07", "\u2028"} {
		f.Add(s, 40)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1<<16 {
			return
		}
		got := Line(s, max)
		if strings.ContainsAny(got, "\n\r\x1b\x00\u2028\u2029\u202e") {
			t.Fatalf("Line(%q) = %q keeps a control character", s, got)
		}
		if strings.HasPrefix(strings.TrimLeftFunc(got, unicode.IsSpace), "::") || strings.Contains(got, "##[") {
			t.Fatalf("Line(%q) = %q keeps a command form", s, got)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("Line(%q) is not valid UTF-8", s)
		}
		if max >= len(TruncatedMarker) && len(got) > max {
			t.Fatalf("Line(%q, %d) is %d bytes", s, max, len(got))
		}
	})
}

// TestCommentCell: what GitHub or GitLab would turn into a mention, a
// reference, a link or math is inert in a comment, and reads the same once
// rendered; ordinary percentages and ampersands stay as they were.
func TestCommentCell(t *testing.T) {
	t.Parallel()
	const j = "\u200d"
	tests := []struct{ in, want string }{
		{"ping @org/team", `ping \@` + j + `org/team`},
		{"fixes #12 and GH-3", `fixes \#` + j + `12 and GH` + j + `-3`},
		{"see https://x.example", `see https:` + j + `//x.example`},
		{"merge !12 under ~security", `merge \!12 under \~security`},
		{"snippet $12, costs $5 to $10", `snippet \$12, costs \$5 to \$10`},
		{"milestone %v1.0 and %\"Q4 release\"", `milestone \%v1.0 and \%&quot;Q4 release&quot;`},
		{"epic &12", `epic \&12`},
		{"20% failed, over the 5% allowed; R&D", `20% failed, over the 5% allowed; R&amp;D`},
	}
	for _, tt := range tests {
		if got := CommentCell(tt.in, 0); got != tt.want {
			t.Errorf("CommentCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
