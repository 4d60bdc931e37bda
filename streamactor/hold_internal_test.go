package streamactor

import (
	"errors"
	"testing"
)

// TestHeldHeadNotPooledOnAbort: a head segment a driver is writing out
// (HoldHead) is not returned to its pool when an abort drops the queue,
// only once the driver lets go (ReleaseHeld). Found by the race detector in
// CI (props' file sink conformance, aborting while the sink wrote): the
// abort pooled the segment, another stream refilled it, and the sink's
// pwrite was still reading it.
func TestHeldHeadNotPooledOnAbort(t *testing.T) {
	cfg, err := NewConfig()
	if err != nil {
		t.Fatal(err)
	}
	c := NewCore(cfg)
	if err := c.Attach(RoleReceiver); err != nil {
		t.Fatal(err)
	}
	seg := getData(16)
	seg.Seq = 1
	copy(seg.Data, "sixteen bytes...")
	c.Deliver(seg)
	head, _ := c.HeadSegment()
	if head != seg {
		t.Fatalf("head %v, want the delivered segment", head)
	}
	c.HoldHead()
	c.Abort(errors.New("test abort"))
	if seg.Data == nil {
		t.Fatal("the abort released the held segment to its pool while a driver still reads it")
	}
	c.ReleaseHeld()
	if seg.Data != nil {
		t.Fatal("ReleaseHeld did not release the segment the abort dropped")
	}
}
