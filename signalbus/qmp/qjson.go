package qmp

// QEMU's JSON dialect, as its QMP monitor reads and writes it (qobject/
// json-lexer.c, json-streamer.c, json-parser.c, json-writer.c and
// qdict.c of QEMU 7.2, behaviour checked against qemu-storage-daemon):
//
//   - a lexer whose errors name the bad token ("stray '...'") and which
//     then skips input up to a structural character ([ ] { } : ,), an
//     ASCII control character other than tab, or 0xFE/0xFF;
//   - a streamer that ends a message when its braces and its brackets,
//     counted separately, are both closed or either goes negative, and
//     limits tokens and nesting;
//   - a parser with QEMU's error texts, single-quoted strings, the \'
//     escape, modified UTF-8 (\u0000 is kept as C0 80), and numbers as
//     int64, else uint64, else double;
//   - a writer: ", " and ": " between tokens, \b \f \n \r \t \" \\ and
//     \uXXXX (upper-case hex) for other control characters, DEL and every
//     non-ASCII code point, \uFFFD for bytes that are not UTF-8, doubles
//     as C's %.17g (inf for an infinite one, as QEMU: not JSON), and an
//     object's members in the order QEMU's QDict iterates them (by the
//     hash bucket of the key).
//
// Not copied: the lexer's cut of a single token over 64 MiB (Limits.MaxLine
// gives a message up long before).

// qkind is the type of a qobj.
type qkind uint8

const (
	qNull qkind = iota
	qBool
	qInt
	qUint
	qDouble
	qString
	qList
	qDict
)

// qobj is a parsed JSON value (QEMU's QObject).
type qobj struct {
	kind qkind
	b    bool
	i    int64
	u    uint64
	f    float64
	s    string // modified UTF-8: U+0000 is C0 80
	list []*qobj
	dict *qdict
}

// qdict is QEMU's QDict: members in insertion order, iterated in QEMU's
// order.
type qdict struct {
	keys []string
	vals []*qobj
}

func (d *qdict) get(key string) *qobj {
	for i, k := range d.keys {
		if k == key {
			return d.vals[i]
		}
	}
	return nil
}

func (d *qdict) put(key string, v *qobj) {
	for i, k := range d.keys {
		if k == key {
			d.vals[i] = v
			return
		}
	}
	d.keys = append(d.keys, key)
	d.vals = append(d.vals, v)
}

// qdictBuckets is QDICT_BUCKET_MAX.
const qdictBuckets = 512

// qdictHash is QEMU's tdb_hash of a key, as qdict.c buckets it.
func qdictHash(key string) uint32 {
	v := uint32(0x238F13AF) * uint32(len(key))
	for i := 0; i < len(key); i++ {
		v += uint32(key[i]) << (uint(i) * 5 % 24)
	}
	return (1103515243*v + 12345) % qdictBuckets
}

// order returns the member indices in the order QEMU iterates a QDict:
// bucket by bucket, and in a bucket the member inserted last first.
func (d *qdict) order() []int {
	idx := make([]int, len(d.keys))
	hash := make([]uint32, len(d.keys))
	for i, k := range d.keys {
		idx[i], hash[i] = i, qdictHash(k)
	}
	// insertion sort: dicts are small
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0; j-- {
			a, b := idx[j-1], idx[j]
			if hash[a] < hash[b] || hash[a] == hash[b] && a > b {
				break
			}
			idx[j-1], idx[j] = b, a
		}
	}
	return idx
}
