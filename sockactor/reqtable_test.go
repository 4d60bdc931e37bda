package sockactor

import (
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// TestReqTableMatchesMap: any sequence of puts of new, increasing ids
// and removals of any id leaves reqTable agreeing with a map, probe runs
// that wrap around the table and backward shifts included.
func TestReqTableMatchesMap(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var tab reqTable
		ref := map[ReqID]int{}
		next := ReqID(0)
		for i, steps := 0, rapid.IntRange(1, 400).Draw(t, "steps"); i < steps; i++ {
			if rapid.Bool().Draw(t, "put") {
				// Ids increase, with gaps so that they collide.
				next += ReqID(rapid.IntRange(1, 40).Draw(t, "gap"))
				tab.put(next, reqRecord{tag: int(next)})
				ref[next] = int(next)
			} else {
				id := ReqID(rapid.IntRange(0, int(next)+1).Draw(t, "id"))
				r, ok := tab.take(id)
				want, wok := ref[id]
				if ok != wok || (ok && r.tag.(int) != want) {
					t.Fatalf("take(%d) = %v, %v; want %v, %v", id, r.tag, ok, want, wok)
				}
				delete(ref, id)
			}
			if tab.n+len(tab.over) != len(ref) {
				t.Fatalf("%d entries, want %d", tab.n, len(ref))
			}
			for id, want := range ref {
				if r, ok := tab.get(id); !ok || r.tag.(int) != want {
					t.Fatalf("get(%d) = %v, %v; want %v", id, r.tag, ok, want)
				}
			}
			ids := tab.ids()
			if !slices.IsSorted(ids) || len(ids) != len(ref) {
				t.Fatalf("ids %v, want the %d keys sorted", ids, len(ref))
			}
		}
	})
}
