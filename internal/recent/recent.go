// Package recent is a map that keeps only its most recently put keys: a
// memory of things that ended (a peer that left, a client incarnation
// forgotten) which is only needed for a while, so the oldest may go.
package recent

// Map holds at most Max keys, each with a value; putting a key when Max
// are held forgets the key put longest ago. Putting a key again makes it
// the newest. The zero value is unusable: set Max. It is not safe for
// concurrent use.
type Map[K comparable, V any] struct {
	// Max is how many keys the map holds at most.
	Max int

	m     map[K]entry[V]
	order []ref[K] // puts, oldest first; a ref whose key was put again or deleted since is stale
	seq   uint64
}

type entry[V any] struct {
	v   V
	seq uint64
}

type ref[K comparable] struct {
	k   K
	seq uint64
}

// Put sets k's value and makes k the newest key, forgetting the oldest
// keys beyond Max.
func (r *Map[K, V]) Put(k K, v V) {
	if r.m == nil {
		r.m = make(map[K]entry[V])
	}
	r.seq++
	r.m[k] = entry[V]{v: v, seq: r.seq}
	r.order = append(r.order, ref[K]{k: k, seq: r.seq})
	for len(r.m) > r.Max {
		old := r.order[0]
		r.order = r.order[1:]
		if r.live(old) {
			delete(r.m, old.k)
		}
	}
	// Deletes and repeated puts leave stale refs: drop them once they
	// outnumber the live keys, so order stays within twice the keys.
	if len(r.order) > 2*len(r.m)+16 {
		live := r.order[:0]
		for _, o := range r.order {
			if r.live(o) {
				live = append(live, o)
			}
		}
		clear(r.order[len(live):])
		r.order = live
	}
}

// live reports whether o is the latest put of its key, still held.
func (r *Map[K, V]) live(o ref[K]) bool {
	e, ok := r.m[o.k]
	return ok && e.seq == o.seq
}

// Get returns k's value, if k is held.
func (r *Map[K, V]) Get(k K) (V, bool) {
	e, ok := r.m[k]
	return e.v, ok
}

// Take returns k's value, if k is held, and forgets k.
func (r *Map[K, V]) Take(k K) (V, bool) {
	e, ok := r.m[k]
	delete(r.m, k)
	return e.v, ok
}

// Delete forgets k.
func (r *Map[K, V]) Delete(k K) { delete(r.m, k) }

// Len is how many keys are held.
func (r *Map[K, V]) Len() int { return len(r.m) }

// Refs is how many puts are remembered in order, stale ones included
// (at most twice Len plus 16, once Put has run).
func (r *Map[K, V]) Refs() int { return len(r.order) }
