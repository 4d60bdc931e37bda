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
//	handoff   a coordinator needs a long worker chain's result and an
//	          unrelated ready, in either order (H1).
//	durable-kv  a client puts keys into a crashing server that acks only
//	          synced keys; every acked key survives (K1), all are acked
//	          after the heal (K2).
//	retry-counter  a client retries increments across drops and
//	          partitions; each counts once (C1).
//	socket    clients pipeline length-prefixed PDUs to an echo server
//	          over the simulated network (random segmentation, latency,
//	          resets); invariants S1–S5 (see CheckSocket). The tsocket
//	          invariants of research §6 are mapped in SockInvariants.
//	signal    emitters on a plain and a throttled signal; subscribers in
//	          three sessions (one without default connections) connect,
//	          disconnect (also from inside their slot), stall and resume.
//	          The model-free invariants of research/qapi-events.md §5
//	          (CheckSignalLog; all 30 are mapped in SignalInvariants)
//	          and last-not-lost after healing (CheckSignal).
//	stream    producer and consumer actors move random extent lists
//	          through streams: a clean transfer, aborts on either side, a
//	          stalled consumer, an upload into and a download from a
//	          simulated sparse file with faults (EIO, ENOSPC, short I/O,
//	          a failed sync). See CheckStreamRun.
//	remote-stream  streams between two booted (crashing) nodes over a
//	          network that drops, duplicates, reorders, clogs and
//	          partitions: uploads and downloads served by actors or
//	          simulated files, clean or aborted; content, holes, Finish,
//	          aborts, errors naming the peer, a bound after a peer's
//	          crash, liveness after the heal (RS1–RS7, see
//	          CheckRemoteStreamRun; canary: remote.CanarySkipGaps).
//	remote-signal  signals on node a; remote subscribers on crashing
//	          nodes and local ones connect, disconnect, stall (with
//	          partitions on, one subscriber is cut off and reconnects);
//	          after the heal a tail of emissions reaches every surviving
//	          connection
//	          (RS1–RS7, see CheckRemoteSignal: the local signal invariants
//	          per node incarnation, the disconnect barrier across nodes,
//	          in-flight events to a dead node counted).
//
// Canaries (Canaries) are the same workloads with planted bugs of known
// depth: they prove the checkers can fail and measure seeds to failure per
// scheduler (simrun -canary).
//
// The signal bus also has a reference model (SigModel) that rapid state
// machines compare with the pure core and with the actors in the
// simulator, connection by connection.
//
// For streams (package streamactor) there are also: the extent-list model
// (Extents), the invariants of research §4 (StreamInvariants, each with
// where it is checked), a rapid machine over the pure core
// (CheckCoreMachine), one over the actors in the simulator with rapid
// drawing the seed (CheckActorMachine), and the conformance suite any
// stream implementation can run (CheckStream with a StreamFactory; the
// pipe, connected ends and both file drivers pass it; so do remote
// streams between two processes, in package streamactor/remote).
//
// The workloads are ordinary actors: RunPingpong runs the same referee on a
// real System, where CheckPingpong checks the same invariants with times
// that may only run late, never early.
package props
