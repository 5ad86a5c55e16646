package ci

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// RandomHex returns n random bytes as hex.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// GitHubFileCommand formats name=value for $GITHUB_OUTPUT (or $GITHUB_ENV)
// as a heredoc with a random delimiter, as GitHub's own toolkit does, so no
// value can end the block early and inject other entries. A value holding
// the delimiter is refused.
func GitHubFileCommand(name, value, random string) (string, error) {
	delim := "ghadelimiter_" + random
	if strings.Contains(name, delim) || strings.Contains(value, delim) {
		return "", fmt.Errorf("value of %s contains the delimiter", name)
	}
	return name + "<<" + delim + "\n" + value + "\n" + delim + "\n", nil
}

// dotenvSafe reports whether a value can go in a GitLab dotenv report as is:
// one line of characters that no dotenv reader quotes, expands or splits.
func dotenvSafe(v string) bool {
	for _, r := range v {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("-_.:/@%+,~=?&", r):
		default:
			return false
		}
	}
	return true
}

// fileMode is how a reporter writes its file.
type fileMode int

const (
	// appendExisting appends to a file the platform created: GitHub's
	// runner creates its file-command files, so a missing one means this
	// container cannot see it.
	appendExisting fileMode = iota
	// appendOrCreate appends, creating the file ($BASH_ENV).
	appendOrCreate
	// replace writes the whole file (GitLab's dotenv report).
	replace
)

// write is the reporters' one file writer: it redacts the secrets, and
// appends on a line of its own (a file that does not end in a newline
// would glue its last line to our first) or replaces the file.
func (o Options) write(path, text string, mode fileMode) error {
	text = o.Redact.String(text)
	if mode == replace {
		return os.WriteFile(path, []byte(text), 0o644)
	}
	flags := os.O_APPEND | os.O_RDWR
	if mode == appendOrCreate {
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(path, flags, 0o644)
	readable := err == nil
	if err != nil {
		// A file we may write but not read: its end is unknown.
		if f, err = os.OpenFile(path, flags&^os.O_RDWR|os.O_WRONLY, 0o644); err != nil {
			return err
		}
	}
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := []byte{0}
		if !readable {
			text = "\n" + text
		} else if _, err := f.ReadAt(last, st.Size()-1); err != nil || last[0] != '\n' {
			text = "\n" + text
		}
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
