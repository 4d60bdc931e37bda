package sockactor

import (
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestNetPacketRecvUpToTakesWhatWaits: RecvUpTo(n) hands over, in one
// event, the first datagram and those already waiting behind it, in the
// order they arrived, at most n; and a RecvUpTo with nothing waiting
// waits for a new datagram rather than answering empty.
func TestNetPacketRecvUpToTakesWhatWaits(t *testing.T) {
	ep, err := (&Net{}).ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := ep.(*netPacket)
	evs := make(chan any, 8)
	p.Start(func(ev any) { evs <- ev })
	defer func() {
		p.Close()
		for ev := range evs {
			if _, ok := ev.(*EvClosed); ok {
				return
			}
		}
	}()
	next := func() any {
		select {
		case ev := <-evs:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
			return nil
		}
	}
	c, err := net.DialUDP("udp", nil, p.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < 5; i++ {
		if _, err := c.Write([]byte(fmt.Sprint("d", i))); err != nil {
			t.Fatal(err)
		}
	}
	// Loopback UDP has queued all five by now: the first RecvUpTo(3)
	// takes three of them, the next (up to 10) the other two.
	var got []string
	for _, n := range []int{3, 10} {
		p.RecvUpTo(n)
		ev, ok := next().(*EvDatagrams)
		if !ok {
			t.Fatalf("RecvUpTo(%d) with datagrams waiting: want one *EvDatagrams", n)
		}
		for _, d := range ev.Datagrams {
			if d.Err != nil || d.Src.String() != c.LocalAddr().String() {
				t.Fatalf("datagram %+v", d)
			}
			got = append(got, string(d.Data))
		}
	}
	if fmt.Sprint(got) != "[d0 d1 d2 d3 d4]" {
		t.Fatalf("got %v, want the five in order, three then two", got)
	}

	// Nothing waits: RecvUpTo waits for the next datagram, and a lone
	// one comes as an *EvDatagram.
	p.RecvUpTo(10)
	select {
	case ev := <-evs:
		t.Fatalf("answered with nothing waiting: %#v", ev)
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := c.Write([]byte("late")); err != nil {
		t.Fatal(err)
	}
	if ev, ok := next().(*EvDatagram); !ok || string(ev.Data) != "late" {
		t.Fatalf("the datagram after a wait: %#v", ev)
	}

}

// TestDgramMachineBatches: the machine asks for as many datagrams as its
// receive queue has room for (EffRecv.Max), queues a batch in order (one
// over MaxDatagram as its EMSGSIZE, in place), and asks for more only
// while room is left.
func TestDgramMachineBatches(t *testing.T) {
	m := NewDgramMachine(DgramConfig{MaxDatagram: 4, RecvQueue: 3})
	recvMax := func() int {
		t.Helper()
		max := -1
		for _, e := range m.Effects() {
			if r, ok := e.(*EffRecv); ok {
				max = r.Max
			}
		}
		return max
	}
	if got := recvMax(); got != 3 {
		t.Fatalf("a new machine asks for %d datagrams, want 3 (its queue)", got)
	}
	m.OnDatagrams([]EvDatagram{{Data: []byte("a")}, {Data: []byte("toolong")}})
	if got := recvMax(); got != 1 {
		t.Fatalf("with 2 of 3 queued it asks for %d, want 1", got)
	}
	m.OnDatagrams([]EvDatagram{{Data: []byte("b")}})
	if got := recvMax(); got != -1 {
		t.Fatalf("with the queue full it asks for %d more", got)
	}
	var got []string
	for i := 0; i < 3; i++ {
		m.RecvFrom(0)
		for _, e := range m.Effects() {
			if c, ok := e.(*Completion); ok {
				if c.Err != nil {
					got = append(got, Errno(c.Err).Error())
				} else {
					got = append(got, string(c.Data))
				}
			}
		}
	}
	if fmt.Sprint(got) != fmt.Sprint([]string{"a", syscall.EMSGSIZE.Error(), "b"}) {
		t.Fatalf("received %q", got)
	}
}
