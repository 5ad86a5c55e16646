package grace

import (
	"context"
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

	parent, cancel = context.WithCancel(context.Background())
	ctx, stop = After(parent, 0)
	defer stop()
	cancel()
	<-ctx.Done() // a zero grace ends at once after the signal
}

// TestMulDuration saturates instead of overflowing.
func TestMulDuration(t *testing.T) {
	t.Parallel()
	if MulDuration(time.Second, 3) != 3*time.Second || MulDuration(math.MaxInt64/2, 3) != math.MaxInt64 {
		t.Error("MulDuration")
	}
}
