package config

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// InputError says which input was rejected and why. Its message names the
// input as users write it in action.yml (target-id), never the Go field.
type InputError struct {
	// Name is the setting's name, e.g. "target-id".
	Name string
	// Reason says what is wrong and, where it helps, what to write instead.
	Reason string
	// MissingToken marks an empty token, which the CI context can explain
	// (fork pull requests and Dependabot get no secrets).
	MissingToken bool
}

func (e *InputError) Error() string { return e.Name + ": " + e.Reason }

// failed reports whether the setting already has an error.
func (e Errors) failed(name string) bool {
	for _, err := range e {
		if err.Name == name {
			return true
		}
	}
	return false
}

// add records an error of a setting.
func (e *Errors) add(name, format string, args ...any) {
	*e = append(*e, &InputError{Name: name, Reason: fmt.Sprintf(format, args...)})
}

// decodeError is a value a decoder could not parse. go-envconfig stops at
// it; Load records it under the setting being decoded and reads the rest.
type decodeError struct{ reason string }

func (e *decodeError) Error() string { return e.reason }

// decode parses v into *dst. A blank v is unset: the lookuper never
// returns one for a set value.
func decode[T any](v string, dst *T, parse func(string) (T, error)) error {
	if v == "" {
		return nil
	}
	x, err := parse(v)
	if err != nil {
		return &decodeError{reason: err.Error()}
	}
	*dst = x
	return nil
}

// Secret is the token. It is never put in an error, and formats redacted.
type Secret string

// EnvDecode implements envconfig.DecoderCtx; the token is taken as given.
func (s *Secret) EnvDecode(_ context.Context, v string) error { *s = Secret(v); return nil }

// String redacts the token if it is ever formatted.
func (s Secret) String() string { return "***" }

// Text is a free-form setting.
type Text string

// EnvDecode implements envconfig.DecoderCtx; the lookuper has trimmed v.
func (t *Text) EnvDecode(_ context.Context, v string) error {
	*t = Text(v)
	return nil
}

// ID is a positive int32 identifier written in decimal.
type ID int32

// EnvDecode implements envconfig.DecoderCtx.
func (i *ID) EnvDecode(_ context.Context, v string) error {
	return decode(v, (*int32)(i), parseID)
}

// IDList is a list of probe ids (see ParseProbeIDs).
type IDList []int32

// EnvDecode implements envconfig.DecoderCtx.
func (l *IDList) EnvDecode(_ context.Context, v string) error {
	return decode(v, (*[]int32)(l), ParseProbeIDs)
}

// Bool is a boolean in any of the spellings CI users write (see ParseBool).
type Bool bool

// EnvDecode implements envconfig.DecoderCtx.
func (b *Bool) EnvDecode(_ context.Context, v string) error {
	return decode(v, (*bool)(b), ParseBool)
}

// Duration is a positive duration (see ParseDuration).
type Duration time.Duration

// EnvDecode implements envconfig.DecoderCtx.
func (d *Duration) EnvDecode(_ context.Context, v string) error {
	return decode(v, (*time.Duration)(d), ParseDuration)
}

// Count is a whole number of 0 or more (see ParseCount).
type Count int64

// EnvDecode implements envconfig.DecoderCtx.
func (c *Count) EnvDecode(_ context.Context, v string) error {
	return decode(v, (*int64)(c), ParseCount)
}

// Percent is a percentage from 0 to 100 (see ParsePercent).
type Percent float64

// EnvDecode implements envconfig.DecoderCtx.
func (p *Percent) EnvDecode(_ context.Context, v string) error {
	return decode(v, (*float64)(p), ParsePercent)
}

// quote shows a rejected value back to the user, shortened and with control
// characters visible. Never used for the token.
func quote(s string) string {
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return strconv.Quote(s)
}

// parseID parses a positive int32 written in decimal. go-envconfig would parse
// "010" as octal and "0x10" as hex; ids are always decimal here.
func parseID(s string) (int32, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("is empty")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%s is not a positive integer", quote(s))
		}
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%s is larger than 2147483647", quote(s))
	}
	if n <= 0 {
		return 0, fmt.Errorf("%s is not a positive integer", quote(s))
	}
	return int32(n), nil
}

// ParseProbeIDs reads probe ids separated by commas, spaces or newlines, or a
// JSON array of numbers. Duplicates are removed, order kept. An empty element
// ("1,,2") is an error rather than a silent zero.
func ParseProbeIDs(s string) ([]int32, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("is empty; list at least one probe id, e.g. 1,2,3")
	}
	var parts []string
	if strings.HasPrefix(s, "[") {
		var raw []json.RawMessage
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			return nil, fmt.Errorf("%s is not a JSON array of probe ids", quote(s))
		}
		for _, r := range raw {
			parts = append(parts, string(r))
		}
		if len(parts) == 0 {
			return nil, fmt.Errorf("is an empty list; list at least one probe id")
		}
	} else {
		fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
		// FieldsFunc drops empty elements; detect "1,,2" and trailing commas.
		commaParts := strings.Split(s, ",")
		for _, p := range commaParts {
			if strings.TrimSpace(p) == "" {
				return nil, fmt.Errorf("%s has an empty element; separate ids with one comma", quote(s))
			}
		}
		parts = fields
	}
	seen := make(map[int32]bool, len(parts))
	ids := make([]int32, 0, len(parts))
	for _, p := range parts {
		id, err := parseID(p)
		if err != nil {
			return nil, fmt.Errorf("probe id %w", err)
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// ParseBool accepts the spellings CI users write: true/false, yes/no, y/n,
// on/off, 1/0, in any case.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on", "1", "y":
		return true, nil
	case "false", "no", "off", "0", "n":
		return false, nil
	}
	return false, fmt.Errorf("%s is not a boolean; use true or false", quote(s))
}

// ParseDuration reads a Go duration ("30m", "1h30m", "90s"); a bare number
// is taken as seconds, as CI users often write it.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("is empty")
	}
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		if n == 0 {
			return 0, fmt.Errorf("%s must be positive", quote(s))
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s is not a duration; write e.g. 30m, 90s or 1h", quote(s))
	}
	if d <= 0 {
		return 0, fmt.Errorf("%s must be positive", quote(s))
	}
	return d, nil
}

// ParseCount reads a non-negative whole number in decimal.
func ParseCount(s string) (int64, error) {
	s = strings.TrimSpace(s)
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("%s is not a whole number of 0 or more", quote(s))
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is not a whole number of 0 or more", quote(s))
	}
	return n, nil
}

// ParsePercent reads a percentage from 0 to 100, decimals allowed, with an
// optional trailing "%".
func ParsePercent(s string) (float64, error) {
	t := strings.TrimSuffix(strings.TrimSpace(s), "%")
	for _, r := range t {
		if (r < '0' || r > '9') && r != '.' {
			return 0, fmt.Errorf("%s is not a percentage from 0 to 100", quote(s))
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || f > 100 {
		return 0, fmt.Errorf("%s is not a percentage from 0 to 100", quote(s))
	}
	return f, nil
}
