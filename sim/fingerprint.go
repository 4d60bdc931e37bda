package sim

import (
	"reflect"
)

// fingerprint is a running 64-bit hash of every decision and event of a
// run. It mixes whole words, FNV-1a style, and hashes strings with FNV-1a,
// so that it is cheap enough to stay on for every step.
type fingerprint struct{ h uint64 }

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func newFingerprint(seed uint64) fingerprint {
	f := fingerprint{h: fnvOffset}
	f.mix(seed)
	return f
}

func (f *fingerprint) mix(v uint64) {
	f.h ^= v
	f.h *= fnvPrime
	f.h ^= f.h >> 29
}

// sum returns the fingerprint with a final avalanche, so that nearby
// states print as unrelated numbers.
func (f *fingerprint) sum() uint64 {
	h := f.h
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// hashString is FNV-1a over the bytes of s.
func hashString(s string) uint64 {
	h := uint64(fnvOffset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// typeNames caches, per World, each message type's name and its hash. Type
// names are the same in every process running the same build, unlike the
// addresses of type descriptors.
type typeNames map[reflect.Type]typeName

type typeName struct {
	name string
	hash uint64
}

func (t typeNames) of(v any) typeName {
	if v == nil {
		return typeName{name: "<nil>", hash: 1}
	}
	rt := reflect.TypeOf(v)
	if n, ok := t[rt]; ok {
		return n
	}
	name := rt.String()
	n := typeName{name: name, hash: hashString(name)}
	t[rt] = n
	return n
}

// event starts hashing an event of kind k and counts it.
func (w *World) event(k EventKind) {
	w.eventCount++
	w.fp.mix(uint64(k))
}
