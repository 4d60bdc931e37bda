package sockactor

import (
	"bytes"
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
