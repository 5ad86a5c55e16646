package grace

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"
)

// TestAfter: the context outlives its parent's cancellation until the
// grace ends, and stop releases it at once.
func TestAfter(t *testing.T) {
	t.Parallel()
	parent, cancel := context.WithCancel(context.Background())
	ctx, stop := After(parent, time.Hour)
	cancel()
	select {
	case <-ctx.Done():
		t.Fatal("cancelled with its parent, before the grace")
	default:
	}
	stop()
	<-ctx.Done() // released by stop; a hang here fails the test's timeout

	signalled := errors.New("interrupt signal received")
	parent, cancelCause := context.WithCancelCause(context.Background())
	ctx, stop = After(parent, 0)
	defer stop()
	cancelCause(signalled)
	<-ctx.Done() // a zero grace ends at once after the signal
	if !errors.Is(context.Cause(ctx), signalled) {
		t.Errorf("cause %v, want the parent's (a request's error names it)", context.Cause(ctx))
	}
}

// TestMulDuration saturates instead of overflowing.
func TestMulDuration(t *testing.T) {
	t.Parallel()
	if MulDuration(time.Second, 3) != 3*time.Second || MulDuration(math.MaxInt64/2, 3) != math.MaxInt64 {
		t.Error("MulDuration")
	}
}
