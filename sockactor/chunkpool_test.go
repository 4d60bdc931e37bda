package sockactor

import (
	"bytes"
	"net"
	"testing"
)

func TestTakeChunkSizes(t *testing.T) {
	for _, n := range []int{1, minChunk - 1, minChunk, minChunk + 1, 3000, 64 << 10, maxChunk - 1, maxChunk} {
		p := bytes.Repeat([]byte{byte(n)}, n)
		c := takeChunk(p)
		if !bytes.Equal(c, p) {
			t.Fatalf("n=%d: the chunk does not hold the bytes", n)
		}
		switch {
		case n < minChunk && cap(c) != n:
			t.Fatalf("n=%d: a small read got a buffer of %d, want exactly its size", n, cap(c))
		case n >= minChunk && (cap(c) < n || cap(c) >= 2*n || chunkClassOf(cap(c)) < 0):
			t.Fatalf("n=%d: chunk capacity %d is not the smallest class that holds it", n, cap(c))
		}
		if &c[0] == &p[0] {
			t.Fatalf("n=%d: the chunk aliases the read buffer", n)
		}
	}
}

func TestFreeChunkReuse(t *testing.T) {
	p := bytes.Repeat([]byte{7}, 5000)
	c := takeChunk(p)
	freeChunk(c)
	d := takeChunk(bytes.Repeat([]byte{9}, 6000))
	if &d[:1][0] != &c[:1][0] {
		t.Fatalf("a freed chunk of the same class was not reused")
	}
	if !bytes.Equal(d, bytes.Repeat([]byte{9}, 6000)) {
		t.Fatalf("a reused chunk does not hold the new bytes")
	}
	freeChunk(d)
	// Buffers that are not a class size are left to the collector.
	odd := make([]byte, 3000)
	freeChunk(odd)
	e := takeChunk(bytes.Repeat([]byte{1}, 2500))
	if cap(e) == cap(odd) {
		t.Fatalf("a buffer of capacity %d entered the pool", cap(odd))
	}
}

func TestChunkPoolBounded(t *testing.T) {
	k := chunkClassOf(maxChunk)
	for i := 0; i < 4*chunkPoolBytes/maxChunk; i++ {
		freeChunk(make([]byte, maxChunk))
	}
	cl := &chunkClasses[k]
	cl.mu.Lock()
	kept := len(cl.free) * maxChunk
	cl.mu.Unlock()
	if kept > chunkPoolBytes {
		t.Fatalf("class %d keeps %d bytes, bound %d", k, kept, chunkPoolBytes)
	}
}

// TestReadStreamChunks: a stream's reads go straight into a chunk of the
// class its last read called for, handed over without a copy when at
// least half full; a smaller or larger read is copied into a chunk of
// its own class (or an exact buffer); every read's bytes are the ones
// sent, and no chunk holds less than half its size.
func TestReadStreamChunks(t *testing.T) {
	a, b := tcpPair(t)
	read, free := streamReader(b)
	for i, n := range []int{5000, 3000, 8192, 100, 4000, 9000, 2100, 70000, 40000} {
		p := bytes.Repeat([]byte{byte(i + 1)}, n)
		if _, err := a.Write(p); err != nil {
			t.Fatal(err)
		}
		var got []byte
		for len(got) < n {
			c, err := read(1 << 20)
			if err != nil {
				t.Fatal(err)
			}
			if len(c) >= minChunk && (chunkClassOf(cap(c)) < 0 || cap(c) > 2*len(c)) {
				t.Fatalf("read %d: %d bytes in a chunk of %d", i, len(c), cap(c))
			}
			if len(c) < minChunk && cap(c) != len(c) {
				t.Fatalf("read %d: %d bytes in a buffer of %d", i, len(c), cap(c))
			}
			got = append(got, c...)
			free(c)
		}
		if !bytes.Equal(got, p) {
			t.Fatalf("read %d: the bytes differ from those sent", i)
		}
	}
}

func tcpPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	a, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}
