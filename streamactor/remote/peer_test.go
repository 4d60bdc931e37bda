package remote_test

// A test process runs exactly one protoactor remote node (protoactor's
// remote.Start writes gRPC's global logger, racing with any node already
// running in the process). The far ends of the streams under test are
// therefore in peer processes: this test binary run again with
// ACTORIO_RSTREAM_PEER set, which starts a node with the "streams"
// service, prints "ADDR <node address>" and "TCP <address>" (a raw TCP
// sink for the benchmark's baseline), and serves until its stdin closes.
// What the service does with a stream depends on the dial's meta:
//
//	sink            drain the stream (Recv), then Finish
//	slow            drain it slowly (10ms after each Recv of 256 KiB)
//	source:N        send N bytes of a known pattern, then Finish
//	relay-in:K      the first half of relay K: what arrives goes out on
//	relay-out:K     ... the stream opened with relay-out:K (see relay)
//	reject          refuse, with a reason
//
// A process may also print "MEM <bytes>" lines (the live heap), see
// the memory test.

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/actors/node"
	"github.com/actorio/actorio/internal/childproc"
	"github.com/actorio/actorio/internal/nodetest"
	"github.com/actorio/actorio/streamactor"
	"github.com/actorio/actorio/streamactor/remote"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

const peerEnv = "ACTORIO_RSTREAM_PEER"

// nodeConfig is every test node's: messages up to 512 KiB (a 256 KiB
// segment and then some), batches of up to 8 of them (larger batches are
// slower: protoactor marshals a batch into one fresh buffer).
var nodeConfig = node.Config{MaxFrame: 8 << 20, MaxMessage: 512 << 10}

// peerMain runs a peer process and reports whether this process is one.
func peerMain() bool {
	if os.Getenv(peerEnv) == "" {
		return false
	}
	sys := actors.New()
	n, err := node.Start(sys, nodeConfig)
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	relays := newRelays()
	_, err = remote.Serve(sys, "streams", func(req *remote.Request) error {
		return serveRequest(req, relays)
	}, peerOptions())
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	if _, err := sys.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &bytesSink{} }), "bytes"); err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	go serveTCP(ln)
	if os.Getenv("ACTORIO_RSTREAM_MEM") != "" {
		go reportMemory()
	}
	if path := os.Getenv("ACTORIO_RSTREAM_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			_ = pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	fmt.Println("ADDR", n.Address())
	fmt.Println("TCP", ln.Addr().String())
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = ln.Close()
	_ = sys.Close(context.Background())
	n.Stop()
	return true
}

// peerOptions are the timeouts of every test process: the defaults,
// unless the test sets them through the environment.
func peerOptions() remote.Options {
	o := remote.Options{MaxMessage: nodeConfig.MaxMessage}
	if v := os.Getenv("ACTORIO_RSTREAM_TIMEOUT"); v != "" {
		d, _ := time.ParseDuration(v)
		o.PeerTimeout = d
	}
	return o
}

func serveRequest(req *remote.Request, relays *relays) error {
	meta := req.Meta
	switch {
	case meta == "reject":
		return errors.New("planted refusal")
	case meta == "sink" || meta == "slow":
		st, err := req.AcceptStream()
		if err != nil {
			return err
		}
		go drain(st, meta == "slow")
		return nil
	case strings.HasPrefix(meta, "source:"):
		n, err := strconv.ParseInt(strings.TrimPrefix(meta, "source:"), 10, 64)
		if err != nil {
			return err
		}
		st, err := req.AcceptStream()
		if err != nil {
			return err
		}
		go source(st, n)
		return nil
	case strings.HasPrefix(meta, "relay-in:"), strings.HasPrefix(meta, "relay-out:"):
		st, err := req.AcceptStream()
		if err != nil {
			return err
		}
		relays.add(meta, st)
		return nil
	}
	return errors.Errorf("unknown request %q", meta)
}

// drain receives everything, then finishes.
func drain(st *streamactor.Stream, slow bool) {
	defer st.Free()
	ctx := context.Background()
	buf := make([]byte, 256<<10)
	for {
		_, err := st.Recv(ctx, buf)
		if err == io.EOF {
			_ = st.Finish(ctx)
			return
		}
		if err != nil {
			return
		}
		if slow {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// pattern is the byte at offset off of a source's data.
func pattern(off int64) byte { return byte(off*7 + off>>13) }

// source sends n bytes of pattern, then finishes.
func source(st *streamactor.Stream, n int64) {
	defer st.Free()
	ctx := context.Background()
	buf := make([]byte, 256<<10)
	for off := int64(0); off < n; {
		k := min(int64(len(buf)), n-off)
		for i := int64(0); i < k; i++ {
			buf[i] = pattern(off + i)
		}
		if _, err := st.Send(ctx, buf[:k]); err != nil {
			return
		}
		off += k
	}
	_ = st.Finish(ctx)
}

// bytesSink is the bare-transport benchmark's sink: it counts the
// BytesValue messages sent to it, and answers an Int64Value n once it has
// counted n of them.
type bytesSink struct {
	got, want int64
	waiter    *actor.PID
}

func (x *bytesSink) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *wrapperspb.BytesValue:
		x.got++
	case *wrapperspb.Int64Value:
		x.want, x.waiter = m.Value, c.Sender()
	}
	if x.waiter != nil && x.got >= x.want {
		c.Send(x.waiter, wrapperspb.Int64(x.got))
		x.waiter = nil
	}
}

// serveTCP is the benchmark's baseline sink: it copies each connection
// to io.Discard and, at its end, answers one byte.
func serveTCP(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			if _, err := io.Copy(io.Discard, c); err == nil {
				_, _ = c.Write([]byte{1})
			}
		}()
	}
}

// reportMemory prints the live heap every few milliseconds.
func reportMemory() {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	for {
		metrics.Read(s)
		fmt.Println("MEM", s[0].Value.Uint64())
		time.Sleep(5 * time.Millisecond)
	}
}

// peer is a child process running a node.
type peer struct {
	*childproc.Proc
	addr string // its node
	tcp  string // its raw TCP sink
}

// startPeer runs this test binary as a peer with extra environment and
// reads its addresses.
func startPeer(t testing.TB, env ...string) *peer {
	t.Helper()
	p := &peer{Proc: childproc.Start(t, nil, append([]string{peerEnv + "=1"}, env...)...)}
	for p.addr == "" || p.tcp == "" {
		line := p.Until(t, "", time.Minute)
		if rest, ok := strings.CutPrefix(line, "ADDR "); ok {
			p.addr = rest
		} else if rest, ok := strings.CutPrefix(line, "TCP "); ok {
			p.tcp = rest
		}
	}
	return p
}

// local returns this process's one node (started on first use).
func local(t testing.TB) *node.Node {
	t.Helper()
	return nodetest.Local(t, nodeConfig)
}
