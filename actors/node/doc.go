// Package node makes an actors.System reachable from other processes, on
// protoactor-go's remote (gRPC), with settings that avoid its known traps:
//
//   - gRPC's frame limit applies to a whole batch of messages: the batch
//     size is derived from MaxFrame and MaxMessage, so a batch always fits
//     (with protoactor's defaults, 1000 × 64 KiB messages are silently lost).
//   - Keepalives are on, so a silent peer (hung, partitioned) is noticed and
//     its actors' watchers get Terminated{AddressTerminated}.
//   - A peer that is down is dialled for Config.DialTimeout (gRPC retrying
//     a refused connection within it, so a quick restart is caught), then
//     the messages queued for it are dead letters (a Request fails with
//     ErrNoActor): protoactor's five dials took 10s and left a gRPC
//     channel redialling the peer for ever after each.
//   - Node.Stop stops the node both ways (protoactor's remote only stopped
//     serving) and leaves no goroutine behind; a request to a peer
//     still pending fails at once with ErrStopped, and what is sent to
//     peers afterwards is a dead letter.
//   - Writer queues are bounded (protoactor preallocates ~16 MB per peer).
//   - A message type the node does not know, or a malformed batch, is
//     refused (logged, counted, answered with wire.Refused, which fails the
//     sender's Ask with actors.ErrRefused) instead of crashing the process.
//   - A watch of a peer's actor by an actor of the System gets exactly one
//     Terminated, with the real reason: Stopped, NotFound (the PID never
//     existed there) or AddressTerminated (the connection ended first).
//     protoactor delivered every peer's Terminated as Stopped, and a late
//     one after AddressTerminated as a second Terminated. Futures and
//     actors spawned around the System get protoactor's delivery.
//   - Logs go to the System's logger. A peer that closes its connection in
//     order (it stopped or exited) is logged at Info with its address, not
//     as protoactor's error; a connection that breaks otherwise (reset,
//     keepalive timeout) and a failed dial (refused, TLS) stay errors.
//   - Mutual TLS (Config.TLS); without it a node listens on loopback unless
//     told otherwise, and warns when it does not.
//   - gRPC retries a refused connection or a failed TLS handshake without
//     saying why, so a message to such a peer just ends as a dead letter:
//     Node.Probe dials the peer the same way and names the step that fails.
//
// Only protobuf messages cross nodes; delivery is at most once, with silent
// gaps when a connection breaks, so protocols built on it (streams,
// signals) carry sequence numbers and acknowledgements of their own.
//
// Run one node per process: protoactor's remote sets gRPC's global logger
// each time a node starts, which races with the gRPC goroutines of a node
// already running in the process, or even one stopped before (a
// protoactor bug). A System can be made a node once. Tests that need two
// nodes run the second in a child process, as a deployment would.
package node
