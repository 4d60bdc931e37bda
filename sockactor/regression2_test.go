package sockactor_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/actorio/actorio/sockactor"
	"github.com/asynkron/protoactor-go/actor"
)

// TestUnixgramDatagramAboveUDPSize: a unix datagram may be larger than
// any UDP payload (the sender's SO_SNDBUF bounds it, 208 KiB by default
// on Linux), and DgramConfig.MaxDatagram is the limit "sent or
// received". A socket configured for 100,000-byte datagrams sent one but
// could not receive it: the real transport received into a fixed 64 KiB
// buffer, called the datagram truncated (EMSGSIZE) and lost it.
func TestUnixgramDatagramAboveUDPSize(t *testing.T) {
	sys, ctx := realSys(t)
	dir := t.TempDir()
	cfg := sockactor.WithDgramConfig(sockactor.DgramConfig{MaxDatagram: 100000})
	var ds [2]*sockactor.Dgram
	for i, name := range []string{"a.sock", "b.sock"} {
		d, err := sockactor.ListenPacket(sys, sockactor.RealTransport(), "unixgram", filepath.Join(dir, name), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		ds[i] = d
	}
	for _, size := range []int{100000, 65537, 65536, 70, 0} {
		p := bytes.Repeat([]byte{byte(size)}, size)
		if size == 0 { // SendTo refuses 0 bytes (EINVAL): send it raw
			pc, err := net.ListenPacket("unixgram", filepath.Join(dir, "raw.sock"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := pc.WriteTo(nil, ds[1].LocalAddr()); err != nil {
				t.Fatal(err)
			}
			pc.Close()
		} else if n, err := ds[0].SendTo(p, ds[1].LocalAddr()).Wait(ctx); err != nil || n != size {
			t.Fatalf("send %d bytes: %d, %v", size, n, err)
		}
		dg, err := ds[1].RecvFrom().Wait(ctx)
		if err != nil || !bytes.Equal(dg.Data, p) {
			t.Fatalf("a %d-byte datagram (MaxDatagram 100000): got %d bytes, %v", size, len(dg.Data), err)
		}
	}
}

// TestUnixgramSendToPlainUnixAddr: SendTo takes any net.Addr; a unix
// datagram destination written the obvious way, &net.UnixAddr{Name:
// path} (Net "" or "unix"), failed with EAFNOSUPPORT because package net
// insists on Net "unixgram" for a datagram socket, although the name is
// all the kernel uses.
func TestUnixgramSendToPlainUnixAddr(t *testing.T) {
	sys, ctx := realSys(t)
	dir := t.TempDir()
	a, err := sockactor.ListenPacket(sys, sockactor.RealTransport(), "unixgram", filepath.Join(dir, "a.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := sockactor.ListenPacket(sys, sockactor.RealTransport(), "unixgram", filepath.Join(dir, "b.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, network := range []string{"", "unix", "unixgram"} {
		dst := &net.UnixAddr{Name: filepath.Join(dir, "b.sock"), Net: network}
		if n, err := a.SendTo([]byte(network+"!"), dst).Wait(ctx); err != nil || n != len(network)+1 {
			t.Fatalf("SendTo %#v: %d, %v", dst, n, err)
		}
		dg, err := b.RecvFrom().Wait(ctx)
		if err != nil || string(dg.Data) != network+"!" {
			t.Fatalf("RecvFrom: %q, %v", dg.Data, err)
		}
	}
}

// TestFrameHugeOffsetIsAnError: an offset so large that offset+width
// overflows passed the "field inside the header" check, and Length (and
// a read's Next) then panicked slicing the header; invalid parameters
// must be EINVAL.
func TestFrameHugeOffsetIsAnError(t *testing.T) {
	for _, f := range []*sockactor.Frame{
		sockactor.HeaderLength(4, math.MaxInt, 1, 10),
		sockactor.HeaderLength(4, math.MaxInt-2, 4, 10),
		sockactor.HeaderLength(-1, 0, 1, 10),
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%+v: panicked: %v", *f, r)
				}
			}()
			if _, err := f.Length([]byte{1, 2, 3, 4}); !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("%+v: Length: %v, want EINVAL", *f, err)
			}
			f.Reset()
			if _, err := f.Next(); !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("%+v: Next: %v, want EINVAL", *f, err)
			}
		}()
	}
}

// TestFrameNativeEndian: Order takes any binary.ByteOrder, but only the
// value binary.LittleEndian was read little-endian; binary.NativeEndian
// (little endian on amd64 and arm64) was read big-endian, so a 2-byte
// field 0x0005 became 1280.
func TestFrameNativeEndian(t *testing.T) {
	var field [2]byte
	binary.NativeEndian.PutUint16(field[:], 5)
	f := &sockactor.Frame{Header: 2, Width: 2, Order: binary.NativeEndian, Max: 1 << 20}
	if n, err := f.Length(field[:]); err != nil || n != 5 {
		t.Fatalf("NativeEndian field %x: %d, %v, want 5", field, n, err)
	}
	var wide [3]byte
	wide[0], wide[2] = 1, 2 // little endian 0x020001, big endian 0x010002
	f = &sockactor.Frame{Header: 3, Width: 3, Order: binary.LittleEndian, Max: 1 << 20}
	if n, err := f.Length(wide[:]); err != nil || n != 0x020001 {
		t.Fatalf("LittleEndian 3-byte field: %#x, %v", n, err)
	}
	f.Order = binary.BigEndian
	if n, err := f.Length(wide[:]); err != nil || n != 0x010002 {
		t.Fatalf("BigEndian 3-byte field: %#x, %v", n, err)
	}
}

// TestAcceptedConnToDeadActorIsClosed: a connection pushed to an AcceptTo
// actor that no longer exists (or completing an Accept whose ReplyTo is
// gone) is a dead letter that nobody will ever close: its descriptor and
// actor leaked, and the peer waited forever. The AcceptDone now closes
// its connection when it cannot be delivered.
func TestAcceptedConnToDeadActorIsClosed(t *testing.T) {
	sys, ctx := realSys(t)
	dead, err := sys.Spawn(actor.PropsFromFunc(func(actor.Context) {}))
	if err != nil {
		t.Fatal(err)
	}
	if err := sys.Root().StopFuture(dead).Wait(); err != nil {
		t.Fatal(err)
	}
	peerSeesClose := func(how string, addr net.Addr) {
		t.Helper()
		c, err := net.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if dl, ok := ctx.Deadline(); ok {
			_ = c.SetReadDeadline(dl)
		}
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			t.Fatalf("%s: the peer's read got %v, want EOF (the connection nobody can take must be closed)", how, err)
		}
	}
	l, err := sockactor.Listen(sys, sockactor.RealTransport(), "tcp", "127.0.0.1:0", sockactor.AcceptTo(dead))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	peerSeesClose("AcceptTo a stopped actor", l.Addr())

	l2, err := sockactor.Listen(sys, sockactor.RealTransport(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	sys.Send(l2.PID(), &sockactor.Accept{ReplyTo: dead})
	peerSeesClose("Accept replying to a stopped actor", l2.Addr())
}

// TestListenUnixReplacesStaleSocket: a unix socket file left behind by a
// listener that died (crashed, killed) made every later Listen on its
// path fail with EADDRINUSE until someone removed it by hand. A socket
// file nobody listens on is now replaced, as servers do (QEMU, Samba);
// one with a live listener still gets EADDRINUSE, and a file that is not
// a socket is never removed.
func TestListenUnixReplacesStaleSocket(t *testing.T) {
	sys, ctx := realSys(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "s.sock")
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: p, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close() // the file stays, nobody listens
	l, err := sockactor.Listen(sys, sockactor.RealTransport(), "unix", p)
	if err != nil {
		t.Fatalf("listen on a stale socket file: %v", err)
	}
	defer l.Close()
	acc := l.Accept()
	c, err := sockactor.Dial(ctx, sys, sockactor.RealTransport(), "unix", p)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := acc.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	// A live listener keeps its path.
	if _, err := sockactor.Listen(sys, sockactor.RealTransport(), "unix", p); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("listen on a live listener's path: %v, want EADDRINUSE", err)
	}
	// A regular file is not a stale socket.
	f := filepath.Join(dir, "file")
	if err := os.WriteFile(f, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sockactor.Listen(sys, sockactor.RealTransport(), "unix", f); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("listen on a regular file: %v, want EADDRINUSE", err)
	}
	if b, err := os.ReadFile(f); err != nil || string(b) != "keep" {
		t.Fatalf("the regular file was touched: %q, %v", b, err)
	}
}

// TestReadPDUsFrameVariants: batches with framings other than a 2-byte
// prefix (a little-endian length counting the whole PDU, Adjust -Header;
// a 24-byte header; header-only PDUs; bodies over 1 MiB read in growing
// pieces, MaxPDU above them), the stream fed in chunks of 1 byte to
// 3 MiB whose buffers are scribbled over once the machine frees them,
// and more traffic after: every PDU comes back intact (no PDU shares a
// chunk's memory), in order. (Review coverage; passed as it was.)
func TestReadPDUsFrameVariants(t *testing.T) {
	type tc struct {
		name string
		f    func() *sockactor.Frame
		pdu  func(body []byte) []byte
		max  int
	}
	le := func() *sockactor.Frame {
		return &sockactor.Frame{Header: 6, Offset: 2, Width: 4, Order: binary.LittleEndian, Adjust: -6, Max: 1 << 22}
	}
	lePDU := func(b []byte) []byte {
		h := []byte{0xaa, 0xbb}
		h = binary.LittleEndian.AppendUint32(h, uint32(len(b)+6))
		return append(h, b...)
	}
	big := func() *sockactor.Frame { return sockactor.HeaderLength(24, 8, 4, 1<<23) }
	bigPDU := func(b []byte) []byte {
		h := make([]byte, 24)
		for i := range h {
			h[i] = byte(i + 1)
		}
		binary.BigEndian.PutUint32(h[8:], uint32(len(b)))
		return append(h, b...)
	}
	for _, c := range []tc{{"le", le, lePDU, 1 << 23}, {"big", big, bigPDU, 1 << 23}} {
		t.Run(c.name, func(t *testing.T) {
			for _, seg := range []int{1, 7, 1 << 20, 3 << 20} {
				m := sockactor.NewStreamMachine(sockactor.StreamConfig{MaxPDU: c.max, ReadAhead: 8 << 20, ReadChunk: 8 << 20}, true)
				var wire []byte
				var want [][]byte
				sizes := []int{0, 0, 1, 5, 0, 3 << 20, 0, 2, (1 << 20) + 1, 0}
				if seg < 1000 {
					sizes = []int{0, 0, 1, 5, 0, 300, 0, 2, 0}
				}
				for i, n := range sizes {
					b := bytes.Repeat([]byte{byte(i + 1)}, n)
					p := c.pdu(b)
					want = append(want, append([]byte(nil), p...))
					wire = append(wire, p...)
				}
				for len(wire) > 0 {
					n := min(seg, len(wire))
					chunk := append([]byte(nil), wire[:n]...)
					m.OnDataFree(chunk, func(b []byte) {
						for i := range b {
							b[i] = 0xEE
						}
					}, nil)
					wire = wire[n:]
				}
				f := c.f()
				var got [][]byte
				for len(got) < len(want) {
					cc := readPDUsNow(t, m, f, 1<<40)
					if cc.Err != nil {
						t.Fatalf("seg %d: %v after %d", seg, cc.Err, len(got))
					}
					got = append(got, cc.PDUs...)
				}
				m.OnData(bytes.Repeat([]byte{0xdd}, 1000), nil)
				for i := range want {
					if !bytes.Equal(got[i], want[i]) {
						t.Fatalf("seg %d pdu %d differs (len %d vs %d)", seg, i, len(got[i]), len(want[i]))
					}
				}
			}
		})
	}
}

// TestReadPDUsManyHeaderOnly: a huge Max and 100000 one-byte PDUs: one
// batch takes them all. (Review coverage; passed as it was.)
func TestReadPDUsManyHeaderOnly(t *testing.T) {
	m := sockactor.NewStreamMachine(sockactor.StreamConfig{ReadAhead: 1 << 20, ReadChunk: 1 << 20}, true)
	f := sockactor.LengthPrefixed(1, 10)
	m.OnData(make([]byte, 100000), nil)
	c := readPDUsNow(t, m, f, 1<<50)
	if c.Err != nil || len(c.PDUs) != 100000 || c.N != 100000 {
		t.Fatalf("%v %d", c.Err, len(c.PDUs))
	}
}

// TestReadPDUsDirectReadBusy: a direct ReadPDU while a ReadPDUs is
// pending gets EBUSY, as with any pending read. (Review coverage.)
func TestReadPDUsDirectReadBusy(t *testing.T) {
	m := sockactor.NewStreamMachine(sockactor.StreamConfig{}, true)
	m.ReadPDUs(sockactor.LengthPrefixed(2, 10), 0, 0)
	m.Effects()
	f := sockactor.LengthPrefixed(2, 10)
	m.Readv(f.Next, false, 0)
	if c := lastCompletion(m.Effects()); c == nil || !errors.Is(c.Err, syscall.EBUSY) {
		t.Fatalf("%+v", c)
	}
}
