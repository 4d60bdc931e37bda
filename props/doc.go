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
//	socket    clients pipeline length-prefixed PDUs to an echo server
//	          over the simulated network (random segmentation, latency,
//	          resets); invariants S1–S5 (see CheckSocket). The tsocket
//	          invariants of research §6 are mapped in SockInvariants.
//
// The workloads are ordinary actors: RunPingpong runs the same referee on a
// real System, where CheckPingpong checks the same invariants with times
// that may only run late, never early.
package props
