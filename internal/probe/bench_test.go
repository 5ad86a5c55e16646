package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
)

// StatusDocument returns a status document with n probe runs, as the API
// would send it.
func statusDocument(n int) []byte {
	st := TestRunStatus{TestRunID: 1, Status: "RUNNING", ExecutionDate: "2026-11-27T10:00:00.000Z"}
	for i := 0; i < n; i++ {
		st.ProbeRuns = append(st.ProbeRuns, Run{ProbeName: fmt.Sprintf("Probe %d: jailbreak variant", i), ProbeRunID: int64(i), ProbeID: int64(i),
			TotalCount: 125, PassedCount: 100, FailedCount: 20, ErrorCount: 5, Status: "RUNNING"})
	}
	b, _ := json.Marshal(st)
	return b
}

type memoryTransport []byte

func (m memoryTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(m))}, nil
}

// BenchmarkTestRunStatus measures reading a status document of 10, 100 and
// 2,000 probe runs through the client, without a network.
func BenchmarkTestRunStatus(b *testing.B) {
	for _, n := range []int{10, 100, 2000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			doc := statusDocument(n)
			u, _ := url.Parse("https://api.invalid")
			c := NewClient(u, "tok", WithHTTPClient(&http.Client{Transport: memoryTransport(doc)}))
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				st, err := c.TestRunStatus(context.Background(), 1)
				if err != nil || len(st.ProbeRuns) != n {
					b.Fatal(err)
				}
			}
		})
	}
}
