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
// It runs before anything is spawned. The entries protoactor registers
// while building a system (its dead-letter and event stream processes)
// move over (reading
// every old bucket would cost a goroutine per shard);
// TestCompactRegistryKeepsEverything checks that nothing else is there.
func compactRegistry(as *actor.ActorSystem) {
	old := as.ProcessRegistry.LocalPIDs
	buckets := max(1, runtime.GOMAXPROCS(0)/8)
	small := &actor.SliceMap{LocalPIDs: make([]cmap.ConcurrentMap, buckets)}
	for i := range small.LocalPIDs {
		small.LocalPIDs[i] = cmap.New()
	}
	for _, id := range registeredAtBirth {
		if p, ok := old.GetBucket(id).Get(id); ok {
			small.GetBucket(id).Set(id, p)
		}
	}
	as.ProcessRegistry.LocalPIDs = small
}

// registeredAtBirth are the process IDs protoactor's NewActorSystem adds
// to the local table.
var registeredAtBirth = []string{"deadletter", "eventstream"}
