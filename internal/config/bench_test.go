package config

import (
	"context"
	"testing"
)

// BenchmarkLoad measures reading and validating a typical GitHub step's
// settings.
func BenchmarkLoad(b *testing.B) {
	env := map[string]string{
		"INPUT_API-KEY": "tok-SECRET-7f3a9c", "INPUT_TARGET-ID": "42", "INPUT_PROBE-IDS": "1, 2, 3, 4, 5", "INPUT_WAIT": "true",
		"INPUT_MAX-FAILED-PERCENT": "2.5", "INPUT_REGION": "", "INPUT_NAME": "", "GITHUB_ACTIONS": "true",
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(context.Background(), nil, env); err != nil {
			b.Fatal(err)
		}
	}
}
