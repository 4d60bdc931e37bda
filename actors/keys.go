package actors

import (
	"cmp"
	"slices"
)

// sortedKeys returns the keys of m in ascending order, so that iterating
// over a map never depends on Go's randomised map order.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m { //detguard:unordered sorted just below
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// SortedKeys returns the keys of m in ascending order. Actor code uses it
// wherever the order of a map iteration could be observed (sends, traces,
// replies), which keeps simulations deterministic.
func SortedKeys[K cmp.Ordered, V any](m map[K]V) []K { return sortedKeys(m) }
