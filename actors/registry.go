package actors

import (
	"runtime"

	"github.com/asynkron/protoactor-go/actor"
	cmap "github.com/orcaman/concurrent-map"
)

// compactRegistry replaces the local process table of a fresh protoactor
// system with a smaller one. protoactor builds 1,024 concurrent maps of 32
// shards each per system: about 3 MB and 67,000 objects that stay live for
// the system's life, so every garbage collection marks them again. Under a
// steady allocation rate that marking was a fifth of a small-PDU socket
// benchmark's CPU time (BENCHMARKS.md). One map of 32 shards per 8 cores
// keeps lookups as concurrent as the machine can use them.
//
// It runs before anything is spawned; the entries protoactor registered
// while building the system (its event stream process) move over.
func compactRegistry(as *actor.ActorSystem) {
	old := as.ProcessRegistry.LocalPIDs
	buckets := max(1, runtime.GOMAXPROCS(0)/8)
	small := &actor.SliceMap{LocalPIDs: make([]cmap.ConcurrentMap, buckets)}
	for i := range small.LocalPIDs {
		small.LocalPIDs[i] = cmap.New()
	}
	for _, bucket := range old.LocalPIDs {
		for id, p := range bucket.Items() { //detguard:unordered each entry lands in its own slot; order cannot matter
			small.GetBucket(id).Set(id, p)
		}
	}
	as.ProcessRegistry.LocalPIDs = small
}
