package props

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
)

// Extent is one piece of a stream's payload in the reference model: data
// bytes, or a hole of Len > 0 zero bytes (research §4: D(bytes) | H(n)).
type Extent struct {
	Hole bool
	Len  int64  // the hole's length (holes only)
	Data []byte // the data (data extents only)
}

// Size is the extent's length in the dense stream.
func (e Extent) Size() int64 {
	if e.Hole {
		return e.Len
	}
	return int64(len(e.Data))
}

// String describes the extent, as "D(12)" or "H(4096)".
func (e Extent) String() string {
	if e.Hole {
		return fmt.Sprintf("H(%d)", e.Len)
	}
	return fmt.Sprintf("D(%d)", len(e.Data))
}

// Extents is a stream's payload: the reference model of what is sent and
// what is received.
type Extents []Extent

// String lists the extents.
func (x Extents) String() string {
	parts := make([]string, len(x))
	for i, e := range x {
		parts[i] = e.String()
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// AddData appends data (merging into a trailing data extent).
func (x *Extents) AddData(p []byte) {
	if len(p) == 0 {
		return
	}
	if n := len(*x); n > 0 && !(*x)[n-1].Hole {
		(*x)[n-1].Data = append((*x)[n-1].Data, p...)
		return
	}
	*x = append(*x, Extent{Data: append([]byte(nil), p...)})
}

// AddHole appends a hole (merging into a trailing hole).
func (x *Extents) AddHole(n int64) {
	if n <= 0 {
		return
	}
	if k := len(*x); k > 0 && (*x)[k-1].Hole {
		(*x)[k-1].Len += n
		return
	}
	*x = append(*x, Extent{Hole: true, Len: n})
}

// Normalize merges adjacent data extents and adjacent holes and drops
// empty ones: two transfers of the same payload compare equal after it
// however they were chunked (invariant 2).
func (x Extents) Normalize() Extents {
	var out Extents
	for _, e := range x {
		if e.Hole {
			out.AddHole(e.Len)
		} else {
			out.AddData(e.Data)
		}
	}
	return out
}

// Size is the dense length.
func (x Extents) Size() int64 {
	var n int64
	for _, e := range x {
		n += e.Size()
	}
	return n
}

// DataBytes and HoleBytes are the totals per kind (invariant 4).
func (x Extents) DataBytes() int64 {
	var n int64
	for _, e := range x {
		if !e.Hole {
			n += int64(len(e.Data))
		}
	}
	return n
}

// HoleBytes is the total length of the holes.
func (x Extents) HoleBytes() int64 {
	var n int64
	for _, e := range x {
		if e.Hole {
			n += e.Len
		}
	}
	return n
}

// Dense expands holes into zeros (invariant 1). Only for small payloads.
func (x Extents) Dense() []byte {
	out := make([]byte, 0, x.Size())
	for _, e := range x {
		if e.Hole {
			out = append(out, make([]byte, e.Len)...)
		} else {
			out = append(out, e.Data...)
		}
	}
	return out
}

// Holes returns each hole's [start, end) offset in the dense stream, after
// normalisation (invariant 3).
func (x Extents) Holes() [][2]int64 {
	var out [][2]int64
	var off int64
	for _, e := range x.Normalize() {
		if e.Hole {
			out = append(out, [2]int64{off, off + e.Len})
		}
		off += e.Size()
	}
	return out
}

// Equal compares two payloads after normalisation: the same data at the
// same offsets and the same holes.
func (x Extents) Equal(y Extents) bool {
	a, b := x.Normalize(), y.Normalize()
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Hole != b[i].Hole || a[i].Len != b[i].Len || !bytes.Equal(a[i].Data, b[i].Data) {
			return false
		}
	}
	return true
}

// Diff explains the first difference between want and got (normalised),
// or returns "".
func Diff(want, got Extents) string {
	a, b := want.Normalize(), got.Normalize()
	var off int64
	for i := 0; i < len(a) || i < len(b); i++ {
		switch {
		case i >= len(a):
			return fmt.Sprintf("extra %v at %d (extent %d)", b[i], off, i)
		case i >= len(b):
			return fmt.Sprintf("missing %v at %d (extent %d)", a[i], off, i)
		case a[i].Hole != b[i].Hole || a[i].Len != b[i].Len || len(a[i].Data) != len(b[i].Data):
			return fmt.Sprintf("at %d (extent %d): want %v, got %v", off, i, a[i], b[i])
		case !bytes.Equal(a[i].Data, b[i].Data):
			j := 0
			for a[i].Data[j] == b[i].Data[j] {
				j++
			}
			return fmt.Sprintf("data differs at %d: want %#x, got %#x", off+int64(j), a[i].Data[j], b[i].Data[j])
		}
		off += a[i].Size()
	}
	return ""
}

// Prefix returns the first n dense bytes of x as extents.
func (x Extents) Prefix(n int64) Extents {
	var out Extents
	for _, e := range x {
		if n <= 0 {
			break
		}
		k := min(n, e.Size())
		if e.Hole {
			out.AddHole(k)
		} else {
			out.AddData(e.Data[:k])
		}
		n -= k
	}
	return out
}

// ExtentGen draws random payloads.
type ExtentGen struct {
	Max       int     // extents at most
	MaxData   int     // bytes per data extent at most
	MaxHole   int64   // bytes per hole at most
	HoleRatio float64 // the chance that an extent is a hole (0 for a dense stream)
}

// Draw returns a random payload; data bytes are random, so a moved or
// duplicated byte shows.
func (g ExtentGen) Draw(rng *rand.Rand) Extents {
	var x Extents
	n := rng.IntN(g.Max + 1)
	for i := 0; i < n; i++ {
		if rng.Float64() < g.HoleRatio {
			x = append(x, Extent{Hole: true, Len: 1 + rng.Int64N(g.MaxHole)})
			continue
		}
		p := make([]byte, 1+rng.IntN(g.MaxData))
		for j := range p {
			p[j] = byte(rng.Uint32())
		}
		x = append(x, Extent{Data: p})
	}
	return x
}
