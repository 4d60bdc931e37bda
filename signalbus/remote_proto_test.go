package signalbus

import (
	"testing"

	"pgregory.net/rapid"
)

// protoWorld is an Outbox and an Inbox joined by two lossy channels
// (delivery numbers forward, acknowledgements back) that drop, duplicate
// and reorder, with the signal on one side (it hands the Outbox at most
// window deliveries unacknowledged) and the slot on the other (it
// finishes with its deliveries when it likes).
type protoWorld struct {
	window    int
	batch     uint64 // acknowledgements go in batches of this many
	out       Outbox
	in        Inbox
	fwd       []uint64    // delivery numbers on the wire
	back      [][2]uint64 // (received, acked) on the wire
	released  uint64      // tokens the Outbox gave back (the signal's acked count)
	pushed    uint64
	slotGot   []uint64 // what the slot was handed, in order
	slotAcked uint64
}

// sendAck acknowledges in batches of p.batch; flush sends what is owed.
func (p *protoWorld) sendAck(force bool) {
	if r, a, due := p.in.Ack(p.slotAcked, p.batch, force); due {
		p.back = append(p.back, [2]uint64{r, a})
	}
}

func (p *protoWorld) flush() {
	if p.in.Owed(p.slotAcked) {
		r, a, _ := p.in.Ack(p.slotAcked, 1, false)
		p.back = append(p.back, [2]uint64{r, a})
	}
}

func (p *protoWorld) arrive(n uint64) {
	switch p.in.Offer(n) {
	case Accept:
		p.slotGot = append(p.slotGot, n)
	case Duplicate:
		p.sendAck(true)
	}
}

func (p *protoWorld) check(t *rapid.T) {
	for i, n := range p.slotGot {
		if n != uint64(i+1) {
			t.Fatalf("the slot got delivery %d at position %d: %v", n, i, p.slotGot)
		}
	}
	if p.out.Pending() > p.window {
		t.Fatalf("%d pending, window %d", p.out.Pending(), p.window)
	}
	if p.released > p.slotAcked {
		t.Fatalf("released %d, the slot acknowledged only %d", p.released, p.slotAcked)
	}
	if uint64(p.out.Pending())+p.released != p.pushed {
		t.Fatalf("pending %d + released %d != pushed %d", p.out.Pending(), p.released, p.pushed)
	}
}

// TestProtoExactlyOnceInOrder: whatever the channels do, the slot is
// handed every delivery at most once, in order, the Outbox never holds
// more than the window, and it releases a delivery only once the slot has
// finished with it; once the channels stop losing, everything is
// delivered and released.
func TestProtoExactlyOnceInOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := &protoWorld{window: rapid.IntRange(1, 8).Draw(t, "window")}
		p.batch = uint64(rapid.IntRange(1, p.window).Draw(t, "batch"))
		pick := func(n int, label string) int { return rapid.IntRange(0, n-1).Draw(t, label) }
		steps := rapid.IntRange(0, 300).Draw(t, "steps")
		for i := 0; i < steps; i++ {
			switch rapid.IntRange(0, 10).Draw(t, "op") {
			case 0, 1: // the signal hands a delivery, if the window allows
				if p.pushed-p.released < uint64(p.window) {
					p.pushed++
					n := p.out.Push(p.pushed, p.pushed)
					if n != p.pushed {
						t.Fatalf("Push numbered %d, want %d", n, p.pushed)
					}
					p.fwd = append(p.fwd, n)
				}
			case 2: // a delivery arrives (any one: reordering)
				if len(p.fwd) > 0 {
					j := pick(len(p.fwd), "fwd")
					n := p.fwd[j]
					p.fwd = append(p.fwd[:j], p.fwd[j+1:]...)
					p.arrive(n)
				}
			case 3: // a delivery is lost or duplicated
				if len(p.fwd) > 0 {
					j := pick(len(p.fwd), "fwd")
					if rapid.Bool().Draw(t, "dup") {
						p.fwd = append(p.fwd, p.fwd[j])
					} else {
						p.fwd = append(p.fwd[:j], p.fwd[j+1:]...)
					}
				}
			case 4, 5: // the slot finishes with a delivery
				if p.slotAcked < uint64(len(p.slotGot)) {
					p.slotAcked++
					p.sendAck(false)
				}
			case 6: // an acknowledgement arrives (any one)
				if len(p.back) > 0 {
					j := pick(len(p.back), "back")
					a := p.back[j]
					p.back = append(p.back[:j], p.back[j+1:]...)
					p.released += uint64(len(p.out.Ack(a[0], a[1])))
				}
			case 7: // an acknowledgement is lost
				if len(p.back) > 0 {
					j := pick(len(p.back), "back")
					p.back = append(p.back[:j], p.back[j+1:]...)
				}
			case 8: // the delayed-acknowledgement timer
				p.flush()
			default: // the retry timer
				for _, m := range p.out.Tick() {
					p.fwd = append(p.fwd, m.(uint64))
				}
			}
			p.check(t)
		}
		// Heal: the channels deliver in order and lose nothing; the
		// slot keeps up. Within a bounded number of rounds all is done.
		for round := 0; round < 200 && p.released < p.pushed; round++ {
			for len(p.fwd) > 0 {
				n := p.fwd[0]
				p.fwd = p.fwd[1:]
				p.arrive(n)
			}
			for p.slotAcked < uint64(len(p.slotGot)) {
				p.slotAcked++
				p.sendAck(false)
			}
			p.flush()
			for len(p.back) > 0 {
				a := p.back[0]
				p.back = p.back[1:]
				p.released += uint64(len(p.out.Ack(a[0], a[1])))
			}
			for _, m := range p.out.Tick() {
				p.fwd = append(p.fwd, m.(uint64))
			}
			p.check(t)
		}
		if p.released != p.pushed || uint64(len(p.slotGot)) != p.pushed {
			t.Fatalf("after healing: pushed %d, slot got %d, released %d", p.pushed, len(p.slotGot), p.released)
		}
	})
}

// TestOutboxClampsAndBacksOff: acknowledgements beyond what was sent are
// clamped, old ones change nothing, and resends back off while nothing
// progresses.
func TestOutboxClampsAndBacksOff(t *testing.T) {
	var o Outbox
	for i := 1; i <= 3; i++ {
		o.Push(i, i)
	}
	if got := o.Ack(99, 99); len(got) != 3 || o.Pending() != 0 {
		t.Fatalf("Ack(99, 99) released %v, pending %d", got, o.Pending())
	}
	if got := o.Ack(1, 1); len(got) != 0 {
		t.Fatalf("an old Ack released %v", got)
	}
	o.Push(4, 4)
	var resendAt []int
	for tick := 1; tick <= 64; tick++ {
		if len(o.Tick()) > 0 {
			resendAt = append(resendAt, tick)
		}
	}
	want := []int{1, 3, 7, 15, 31, 47, 63}
	if len(resendAt) != len(want) {
		t.Fatalf("resends at ticks %v, want %v", resendAt, want)
	}
	for i := range want {
		if resendAt[i] != want[i] {
			t.Fatalf("resends at ticks %v, want %v", resendAt, want)
		}
	}
	if o.Ack(4, 0); o.Unreceived() != 0 || o.Pending() != 1 {
		t.Fatalf("unreceived %d pending %d", o.Unreceived(), o.Pending())
	}
	if got := o.Tick(); len(got) != 1 || got[0] != 4 {
		t.Fatalf("the probe after progress: %v", got)
	}
	if got := o.Drain(); len(got) != 1 || got[0] != 4 || o.Pending() != 0 {
		t.Fatalf("Drain %v", got)
	}
}
