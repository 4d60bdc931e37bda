package recent

import (
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

// TestMapMatchesModel: any sequence of puts, takes and deletes leaves the
// map holding exactly the newest Max keys still wanted, with their last
// values, and its order bounded after each put.
func TestMapMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		max := rapid.IntRange(1, 8).Draw(t, "max")
		r := Map[int, int]{Max: max}
		var model []int // keys, oldest first
		vals := map[int]int{}
		remove := func(k int) {
			for i, m := range model {
				if m == k {
					model = append(model[:i], model[i+1:]...)
					return
				}
			}
		}
		for i := range rapid.IntRange(0, 200).Draw(t, "ops") {
			k := rapid.IntRange(0, 12).Draw(t, "key")
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0:
				r.Put(k, i)
				remove(k)
				model = append(model, k)
				vals[k] = i
				if len(model) > max {
					delete(vals, model[0])
					model = model[1:]
				}
				if r.Refs() > 2*r.Len()+16 {
					t.Fatalf("%d refs for %d keys after a put", r.Refs(), r.Len())
				}
			case 1:
				v, ok := r.Take(k)
				want, wok := vals[k]
				if ok != wok || (ok && v != want) {
					t.Fatalf("Take(%d) = %d, %v; want %d, %v", k, v, ok, want, wok)
				}
				remove(k)
				delete(vals, k)
			case 2:
				r.Delete(k)
				remove(k)
				delete(vals, k)
			}
			if r.Len() != len(model) {
				t.Fatalf("Len %d, want %d (%v)", r.Len(), len(model), model)
			}
			for k, want := range vals {
				if v, ok := r.Get(k); !ok || v != want {
					t.Fatalf("Get(%d) = %d, %v; want %d", k, v, ok, want)
				}
			}
		}
	})
}

// TestMapFlappingKey: a key put, deleted and put again many times stays
// held after each put (a stale ref of its own never evicts it).
func TestMapFlappingKey(t *testing.T) {
	r := Map[string, bool]{Max: 4}
	for i := range 100 {
		r.Put("k", true)
		if _, ok := r.Get("k"); !ok {
			t.Fatalf("put %d: k is not held", i+1)
		}
		r.Delete("k")
		r.Put(strconv.Itoa(i), true)
	}
}
