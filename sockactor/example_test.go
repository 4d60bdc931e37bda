package sockactor_test

import (
	"context"
	"fmt"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/sockactor"
)

// A client and a server exchange a length-prefixed PDU over real
// loopback TCP, through the Go face.
func ExampleDial() {
	ctx := context.Background()
	sys := actors.New()
	defer sys.Close(ctx)
	tr := sockactor.RealTransport()

	l, _ := sockactor.Listen(sys, tr, "tcp", "127.0.0.1:0")
	accepted := l.Accept()
	c, _ := sockactor.Dial(ctx, sys, tr, "tcp", l.Addr().String())
	s, _ := accepted.Wait(ctx)

	hdr, _ := sockactor.AppendLength(nil, 2, 5)
	c.WritevQueue(hdr, []byte("hello"))
	f := sockactor.LengthPrefixed(2, 1024)
	n, err := s.ReadPDU(f.Next).Wait(ctx)
	fmt.Println(n, err, string(f.Body()))
	// Output: 7 <nil> hello
}

// The same sockets on the simulated network: writes are cut into
// 1..3-byte segments, yet the PDU arrives whole, in virtual time.
func ExampleConn_ReadPDUQueue() {
	w := sim.New(42)
	sys := w.MustNode("n1")
	net := sim.NewNetwork(w, sim.NetConfig{MaxSegment: 3})
	ctx := context.Background()

	l, _ := sockactor.Listen(sys, net.Host("server"), "tcp", ":53")
	accepted := l.Accept()
	c, _ := sockactor.Dial(ctx, sys, net.Host("client"), "tcp", "server:53")
	s, _ := accepted.Wait(ctx)

	for _, body := range []string{"one", "", "three"} {
		hdr, _ := sockactor.AppendLength(nil, 2, len(body))
		c.WritevQueue(hdr, []byte(body))
	}
	frames := []*sockactor.Frame{sockactor.LengthPrefixed(2, 64), sockactor.LengthPrefixed(2, 64), sockactor.LengthPrefixed(2, 64)}
	var reads []*sockactor.Pending[int]
	for _, f := range frames {
		reads = append(reads, s.ReadPDUQueue(f.Next))
	}
	for i, r := range reads {
		n, err := r.Wait(ctx)
		fmt.Printf("%d %v %q\n", n, err, frames[i].Body())
	}
	_ = w.Close()
	// Output:
	// 5 <nil> "one"
	// 2 <nil> ""
	// 7 <nil> "three"
}

// A pipelining server reads whatever PDUs have come in one request:
// ReadPDUs waits for the first, then takes every further PDU already
// whole in the socket's buffer (here up to 8), with one completion.
func ExampleConn_ReadPDUs() {
	w := sim.New(7)
	sys := w.MustNode("n1")
	net := sim.NewNetwork(w, sim.NetConfig{})
	ctx := context.Background()

	l, _ := sockactor.Listen(sys, net.Host("server"), "tcp", ":88")
	accepted := l.Accept()
	c, _ := sockactor.Dial(ctx, sys, net.Host("client"), "tcp", "server:88")
	s, _ := accepted.Wait(ctx)

	var wire []byte
	for _, body := range []string{"alpha", "beta", "gamma"} {
		wire, _ = sockactor.AppendLength(wire, 2, len(body))
		wire = append(wire, body...)
	}
	c.Writev(wire) // one segment: the three PDUs arrive together

	f := sockactor.LengthPrefixed(2, 1024) // one Frame serves batch after batch
	pdus, err := s.ReadPDUs(f, 8).Wait(ctx)
	fmt.Println(len(pdus), err)
	for _, p := range pdus {
		fmt.Printf("%q\n", p[2:])
	}
	_ = w.Close()
	// Output:
	// 3 <nil>
	// "alpha"
	// "beta"
	// "gamma"
}
