package sockactor

import (
	"math/bits"
	"sync"
)

// Received stream bytes are copied out of the driver's read buffer into
// a chunk that the socket's machine keeps until a read has consumed it.
// On a busy socket that is a chunk per transport read, which the machine
// is done with moments later: the chunk pool takes them back (through
// EvData.Free) and hands them to the next read, so that a stream of small
// PDUs does not turn every received byte into garbage.
//
// Chunks come in power-of-two classes from minChunk to maxChunk bytes.
// A read smaller than minChunk is copied into a buffer of its own size,
// so a chunk is never more than twice the bytes it holds: a socket whose
// reader is slow pins at most twice its read-ahead.

const (
	minChunkShift = 11 // 2 KiB
	maxChunkShift = 18 // 256 KiB
	minChunk      = 1 << minChunkShift
	maxChunk      = 1 << maxChunkShift
	// chunkPoolBytes bounds what each class keeps for reuse.
	chunkPoolBytes = 1 << 20
)

type chunkClass struct {
	mu   sync.Mutex
	free [][]byte
}

var chunkClasses [maxChunkShift - minChunkShift + 1]chunkClass

// chunkClassOf returns the class of a chunk of capacity c, or -1 when c
// is not a class size.
func chunkClassOf(c int) int {
	if c < minChunk || c > maxChunk || c&(c-1) != 0 {
		return -1
	}
	return bits.TrailingZeros(uint(c)) - minChunkShift
}

// takeChunk returns a copy of p in a pooled chunk when p is large enough
// to use one, else in a buffer of exactly len(p).
func takeChunk(p []byte) []byte {
	n := len(p)
	if n < minChunk || n > maxChunk {
		return detach(p)
	}
	size := 1 << bits.Len(uint(n-1)) // the smallest power of two ≥ n
	cl := &chunkClasses[chunkClassOf(size)]
	var buf []byte
	cl.mu.Lock()
	if k := len(cl.free); k > 0 {
		buf = cl.free[k-1]
		cl.free[k-1] = nil
		cl.free = cl.free[:k-1]
	}
	cl.mu.Unlock()
	if buf == nil {
		buf = make([]byte, size)
	}
	buf = buf[:n]
	copy(buf, p)
	return buf
}

// freeChunk takes back a chunk the machine has consumed (EvData.Free of
// the real stream transport). Buffers that are not a class size, and
// chunks beyond what a class keeps, are left to the collector.
func freeChunk(p []byte) {
	c := cap(p)
	k := chunkClassOf(c)
	if k < 0 {
		return
	}
	cl := &chunkClasses[k]
	cl.mu.Lock()
	if len(cl.free)*c < chunkPoolBytes {
		cl.free = append(cl.free, p[:c])
	}
	cl.mu.Unlock()
}

// detach returns a copy of p. Written as make-then-copy of the same
// length, which the compiler turns into one allocation that is not
// zeroed first (a 64 KiB read spent a third of its copy zeroing).
func detach(p []byte) []byte {
	q := make([]byte, len(p))
	copy(q, p)
	return q
}
