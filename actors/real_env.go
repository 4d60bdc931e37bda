package actors

// This file holds the real environment: the wall clock and an OS-seeded
// random source. It is one of the few files in the actor packages allowed
// to touch real time and global randomness (see internal/detguard).

import (
	crand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"time"
)

// RealClock returns the wall clock.
func RealClock() Clock { return realClock{} }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) Stopper {
	if d < 0 {
		d = 0
	}
	return time.AfterFunc(d, f)
}

// lockedSource is a ChaCha8 source behind a mutex, safe for the many
// goroutines of a real system.
type lockedSource struct {
	mu  sync.Mutex
	src *rand.ChaCha8
}

func (s *lockedSource) Uint64() uint64 {
	s.mu.Lock()
	v := s.src.Uint64()
	s.mu.Unlock()
	return v
}

// newRealSource returns a goroutine-safe source seeded by the OS.
func newRealSource() rand.Source {
	var seed [32]byte
	if _, err := crand.Read(seed[:]); err != nil {
		// crypto/rand does not fail on Linux; fall back to the time so
		// that a system can still be built.
		binary.LittleEndian.PutUint64(seed[:], uint64(time.Now().UnixNano()))
	}
	return &lockedSource{src: rand.NewChaCha8(seed)}
}
