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
