// Package grace bounds the work done after the job is cancelled: the runner
// kills the container 10 s after its first signal, so each request in
// flight at a signal, or sent after one, gets a short grace.
package grace

import (
	"context"
	"math"
	"sync"
	"time"
)

// Signal is what a request in flight when the job is cancelled, or sent
// after, gets: the cancel of the remote run comes first.
const Signal = 2 * time.Second

// After returns a context that is cancelled grace after ctx is, and not
// before: a request in flight at a signal, or sent after it, gets a short
// grace, never the whole request timeout. Its cause is ctx's (net/http
// reports it in its error). The grace is real time (it bounds real network
// I/O before the runner's kill). stop releases it.
func After(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	out, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	var mu sync.Mutex
	var timer *time.Timer
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		timer = time.AfterFunc(grace, func() { cancel(context.Cause(ctx)) })
	})
	return out, func() {
		stop()
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel(context.Canceled)
	}
}

// MulDuration is d*n, saturated: request-timeout has no upper bound that
// keeps a product from overflowing.
func MulDuration(d time.Duration, n int64) time.Duration {
	if d > 0 && n > 0 && d > math.MaxInt64/time.Duration(n) {
		return math.MaxInt64
	}
	return d * time.Duration(n)
}
