package config

import (
	"testing"
)

// FuzzParseProbeIDs: accepted lists hold only positive, distinct ids.
func FuzzParseProbeIDs(f *testing.F) {
	for _, s := range []string{"1,2,3", "[1, 2]", "1,,2", " 1\n2 ", "0x10", "[1e3]", "[-1]", "99999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids, err := ParseProbeIDs(s)
		if err != nil {
			return
		}
		if len(ids) == 0 {
			t.Fatalf("ParseProbeIDs(%q) accepted an empty list", s)
		}
		seen := map[int32]bool{}
		for _, id := range ids {
			if id <= 0 || seen[id] {
				t.Fatalf("ParseProbeIDs(%q) = %v", s, ids)
			}
			seen[id] = true
		}
	})
}

// FuzzParseValues: durations are positive, percentages in range, counts
// non-negative, and nothing panics.
func FuzzParseValues(f *testing.F) {
	for _, s := range []string{"30m", "90", "1h30m", "-1s", "5%", "100.0", "NaN", "true", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDuration(s); err == nil && d <= 0 {
			t.Fatalf("ParseDuration(%q) = %v", s, d)
		}
		if p, err := ParsePercent(s); err == nil && (p < 0 || p > 100 || p != p) {
			t.Fatalf("ParsePercent(%q) = %v", s, p)
		}
		if n, err := ParseCount(s); err == nil && n < 0 {
			t.Fatalf("ParseCount(%q) = %v", s, n)
		}
		_, _ = ParseBool(s)
		_, _ = ParseAPIURL(s)
	})
}
