// Package props holds actorio's properties: reference models, invariants,
// property-based state machines (pgregory.net/rapid), conformance suites,
// and the named simulation scenarios that cmd/simrun runs.
//
// Scenarios:
//
//	pingpong  players pass balls with random delays; an ask that is
//	          answered and one that times out; a supervised crash and
//	          restart; a watched actor poisoned; a periodic ticker.
//	          Invariants P1–P7 (see CheckPingpong).
//	stream    producer and consumer actors move random extent lists
//	          through streams: a clean transfer, aborts on either side, a
//	          stalled consumer, an upload into and a download from a
//	          simulated sparse file with faults (EIO, ENOSPC, short I/O,
//	          a failed sync). See CheckStreamRun.
//
// For streams (package streamactor) there are also: the extent-list model
// (Extents), the invariants of research §4 (StreamInvariants, each with
// where it is checked), a rapid machine over the pure core
// (CheckCoreMachine), one over the actors in the simulator with rapid
// drawing the seed (CheckActorMachine), and the conformance suite any
// stream implementation can run (CheckStream with a StreamFactory; the
// pipe, connected ends and both file drivers pass it).
//
// The workloads are ordinary actors: RunPingpong runs the same referee on a
// real System, where CheckPingpong checks the same invariants with times
// that may only run late, never early.
package props
