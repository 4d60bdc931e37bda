// Package remote makes streams whose two ends are on different nodes: a
// *streamactor.Stream on this node, its peer on another, connected over
// protoactor remote (gRPC, see actors/node) or, in a simulation, over the
// simulator's network between nodes (package sim: the same wire
// messages, no gRPC). The stream has the API of a local one, and passes
// the same conformance suite (props.CheckStream).
//
// # The model
//
// Each end of a local stream is a pure state machine (streamactor.Core)
// that speaks a small protocol to its peer: numbered segments (data,
// hole, end of stream), cumulative credits, and a Close. Here each end's
// peer is a link: an actor on the same node that carries that protocol to
// the link of the other end and back, as the protobuf messages of
// internal/wire's stream.proto. The link is itself a pure state machine
// (Link) in a thin shell. What it adds, because protoactor remote
// delivers at most once, with silent gaps when a connection breaks, and
// can tell a node's death only to watchers:
//
//   - Every segment carries its number and its cost; a duplicate is
//     dropped, one that arrives early waits (its cost is within the credit
//     the receiving end granted, so the window bounds what waits) for the
//     missing ones, and a number missing for GapTimeout without progress
//     aborts the stream on both ends with ErrGap naming the peer. The
//     sender's keepalive carries its last number, so a lost last segment
//     is noticed too.
//   - Credit is cumulative and repeated in every keepalive: a lost credit
//     is repaired by the next.
//   - A Close (finish or abort) is sent again until acknowledged; its
//     reason crosses as an error that keeps errors.Is for registered
//     errors (RegisterError).
//   - Each link watches the other (Terminated{AddressTerminated} when a
//     node dies), pings it every PingEvery, and declares it lost after
//     PeerTimeout of silence: the local end then fails with ErrPeerLost,
//     naming the peer, within a few seconds of a death or a partition.
//     The open and the accept carry each side's PeerTimeout, and a link
//     pings at least three times per its peer's (but at most ten times
//     as often as its own PingEvery), so nodes with different Options
//     keep an idle stream open.
//   - Finish never succeeds unless the far end's consumer confirmed
//     everything (a file sink: written, synced, closed, committed): the
//     confirmation is the receiving end's own Close{Finished}.
//   - Segments never exceed the nodes' message size (Options.MaxMessage,
//     actors/node's Config.MaxMessage), which with actors/node's batch
//     size keeps every gRPC frame under its limit.
//
// A stream is opened by a dialer: Dial (blocking, outside actors) or
// DialAsync (actors) sends a StreamOpen to a service, an actor started by
// Serve on the other node, again until answered. The service's Handler
// reads the request (its Meta, the dialer's node, the direction) and
// accepts it with a stream end of its own (AcceptStream, a *Stream for
// its code), a file sink (AcceptFileSink: an upload straight into a file)
// or a file source (AcceptFileSource), or refuses it with an error the
// dialer gets (ErrRejected). The handler runs once per dial: the service
// answers a repeated open (a retry, or a copy the network duplicated or
// delayed) as it answered the first, and once the stream is over, or
// after a refusal, it keeps that answer for DialTimeout+PeerTimeout. The
// dialer proposes Sparse, MaxSegment and the receiving end's Window; a
// service lowers the window to its MaxWindow when its end receives.
//
// # libvirt's remote streams → remote
//
//	libvirt (remote driver, virnetclientstream, daemon)   here
//	stream opened by an RPC call (VolUpload/Download)      Dial / DialAsync → Serve's Handler (Request.Meta says what)
//	stream id = (prog, vers, proc, serial)                 a random 64-bit id on every wire message (StreamOpen chooses it)
//	STREAM/CONTINUE with data                              StreamSegment{kind data, seq, cost}
//	STREAM_HOLE/CONTINUE {length}                          StreamSegment{kind hole, seq, length}
//	STREAM/CONTINUE empty (EOF)                            StreamSegment{kind end of stream, seq}
//	STREAM/OK (finish request / confirmation)              the sender's EOF segment / the receiver's StreamClose{finished}
//	STREAM/ERROR (abort, error with virNetMessageError)    StreamClose{cause: StreamError}, acknowledged by StreamCloseAck
//	max_client_requests backpressure (5 packets)           credit for every segment kind, cumulative (StreamCredit, StreamPing)
//	client rx queue ("XXX this buffer is unbounded")       bounded by the receiving end's window, early segments included
//	262120-byte server packets; 32 MiB message limit       MaxSegment ≤ Options.MaxMessage − header; batches within gRPC's frame
//	connection death → every stream fails                  a link's peer lost (watch, keepalive): ErrPeerLost naming the peer
//	(no counterpart: TCP underneath never loses)           sequence numbers: duplicates dropped, reordering repaired, gaps → ErrGap
//	virNetMessageError {code, domain, message}             StreamError {message, kinds}: an *Error, errors.Is for registered kinds
//
// # Errors
//
//	ErrPeerLost      the peer's node died, its link stopped, or it was silent for PeerTimeout
//	ErrGap           segments lost in transit (also errors.Is streamactor.ErrProtocol)
//	ErrDialTimeout   the service did not answer within DialTimeout
//	ErrNoService     no service of that name on the node dialled
//	ErrRejected      the service refused (its reason is in the error)
//	ErrBadConfig     a configuration that cannot cross (a segment larger than a message)
//	*Error           an error that arose on the peer's node (its text, and errors.Is for registered kinds)
//
// An abort by the peer arrives as streamactor's *PeerError (errors.Is
// streamactor.ErrAborted) whose cause is an *Error naming the peer.
//
// # Where it runs
//
// Links are actors: they use the actor clock for their pings and
// timeouts, so in a simulation (package sim) they run on virtual time,
// and the simulator's network drops, duplicates, reorders, partitions and
// crashes under them (props' remote-stream scenario). A real node is
// started with actors/node.Start before Serve or Dial, so that links carry
// the node's address. Only one protoactor remote node runs per OS
// process.
package remote
