// Package signalbus re-creates the QAPI events proposal (Anthony
// Liguori, qemu-devel, 2011) with every signal an actor: typed signals,
// explicit connections with opaque handles, accessor arguments that
// select one object (a device), tags on the events of explicit
// connections, default connections that keep old clients working, and
// sessions. Package signalbus/qmp serves a bus over QMP, signalbus/schema
// parses the proposal's schema notation and cmd/signalgen turns a schema
// into typed Go (signals and the libqmp-style client).
//
// # The model
//
// A Signal[T] is one actor holding its connections (handle → slot,
// accessor-argument filter, bounded queue), its throttle state and its
// order. Emit never blocks: it sends the emission to the actor, which
// gives it the next sequence number and fans it out, so every connection
// sees one order per signal and its own events in FIFO order. A slot is
// an actor (ActorSlot; the actor uses SlotMiddleware) or a func run on a
// serial executor of the connection's own (FuncSlot).
//
// Each connection has a window (deliveries handed to the slot and not yet
// acknowledged) and a queue in the signal behind it, bounded together by
// Queue(limit, policy). A slot that stalls fills them; then the declared
// policy applies (DropOldest: the newest event takes the place of the
// oldest one queued, so it is never lost, even with a limit of 1;
// DropNewest: it is dropped) and the next event delivered carries the
// count of lost ones (Event.Dropped; the QMP endpoint writes
// a SIGNAL_OVERFLOW event). The emitter and the other connections never
// wait for it.
//
// Handles are opaque strings, unique for the bus's lifetime. Disconnect
// is a barrier: the connection is closed before Disconnect returns (no
// delivery reaches the slot afterwards, the ones already on their way are
// dropped), and from outside the actors it also waits until a delivery
// the slot is handling has finished (or the bus closes: ErrClosed). Inside a slot (a func slot's ctx, or
// InActor) nothing waits, so a slot can emit, connect and disconnect
// itself. Connect never blocks: the connection sees every matching event
// emitted after Connect returned and none before, but for one a throttle
// holds back (below).
//
// Throttling (WithThrottle) is declared per signal, QEMU style: per key
// (an accessor argument or a member of T) the first emission goes out at
// once, later ones within the period replace each other (latest wins) and
// the last is delivered when the period ends, so it is never lost;
// emissions with an exempt member value bypass it. The throttle is the
// signal's, before fan-out (QEMU's is global, not per monitor): an
// emission it holds back goes, when its period ends, to the matching
// connections open then, those made (and sessions started) during the
// period included, as QEMU's delayed event reaches every monitor out of
// negotiation by then. The throttle is fixed when the signal is made. It
// runs on the actor clock, so the simulator tests it in virtual time.
//
// A Session is one client (a QMP connection or an in-process user).
// Until Start it is in capabilities negotiation: no event reaches it, as
// it has no connection and takes none (ErrNotStarted), and events emitted
// meanwhile are not kept for it (but for a throttled one still held back
// when it starts, see above). Once started it has the default
// connection to every signal (untagged events, as QEMU's broadcast);
// DisconnectDefaults before Start (QMP: disconnect-default-signals in
// capabilities-negotiation mode) means no event ever reaches it through
// one. Its explicit connections are its own: another session's
// Disconnect of them fails with ErrUnknownHandle, and Close removes them
// all.
//
// Each name of a signal (type name, wire name, accessor) is unique on its
// bus, whatever its kind: NewSignal refuses a signal with a name another
// has (ErrNameTaken), so Bus.Lookup is never ambiguous. Buses are
// independent: two on one actor system (two VMs' buses in one process)
// may have signals of the same names, each with its own connections and
// events; only their servers need names of their own (Serve, ServeName).
//
// An actor slot is the actor its PID named when Connect was called: its
// deliveries go to that actor only, and its connections end when that
// actor stops, even if a new actor has taken its name meanwhile (whose
// own connections are not touched).
//
// A signal's actor that fails (a panic) is restarted by its supervisor
// with its state: its connections, their queues, the throttle and the
// order go on, and nothing is lost silently. The message it was handling
// is lost, as for any actor; the restart repairs what that leaves behind:
// a connect request lost is made late, the events it missed meanwhile
// counted as dropped (Event.Dropped); deliveries the failure kept from a
// slot, and those a func slot's executor (restarted with the signal) had
// not run yet, are counted as dropped on their connections; a lost
// disconnect, session close, slot's Terminated, acknowledgement wake-up
// or throttle tick is made good. An emission being handled is lost (for
// every connection, or for those its fan-out had not reached), a Flush
// being handled is not answered, and a Disconnect waiting for its slot's
// fence returns an error (the connection is closed all the same). If it
// fails too often for its supervisor, which then stops it, the signal is
// closed (Emit and Connect fail with ErrClosed) and its connections end.
//
// A func slot's executor that fails on its own (a panic in the slot's
// func is recovered and counted, so only a fault outside it can) is
// always restarted, and its connection goes on: the delivery it lost is
// counted as dropped on the connection's next event, and a lost Fence is
// answered, so that a Disconnect does not wait for it. This holds for
// local and remote connections alike.
//
// The state machine of a signal is Core: pure (no actors, clock or
// goroutines), property-tested directly against a reference model in
// package props, as are the actors in the simulator.
//
// # Remote connections
//
// A slot on one node can connect to a signal on another, over protoactor
// remote (start both Systems as nodes with actors/node) or between the
// simulator's nodes (the same protocol, no gRPC). The signal's node runs
// Serve(bus): a server actor that peers address as
// actor.NewPID(address, ServerName). The subscriber's node names the signal
// with Remote[T](bus, address, name) and connects slots to it as to a
// local one: RemoteSignal.Connect with Arg, Queue and InSession, or
// Session.ConnectRemote; Disconnect, Bus.Disconnect, Session.Disconnect
// and Session.Close end such connections too. Handles come from the
// subscriber's bus, so the events carry the subscriber's handle as Tag.
//
// For each remote connection, the server holds an ordinary connection to
// the local signal, with the subscriber's filter and queue, and is its
// slot: the filter, the throttle, the overflow policy and its Dropped
// count are the signal's own. It sends each delivery to the subscriber's
// client actor (one per bus) as a wire.SignalEvent (the value as JSON, with
// the signal's name, sequence number, time and accessor arguments) and
// keeps it unacknowledged until the remote slot has finished with it; the
// client checks and decodes it into a T (an event of another type, or one
// that does not decode, is refused with ErrUnknownType or ErrBadEvent and
// ends the connection, never a crash) and hands it to the slot. So a
// stalled remote slot is bounded exactly as a local one: the window in
// flight (up to 256 for a remote connection, SplitRemoteQueue, as a
// network round trip is longer), the queue on the signal's node, the
// policy beyond. The client acknowledges in batches of an eighth of the
// window, and what is left after a millisecond.
//
// protoactor remote delivers at most once, with gaps when its stream
// breaks (and the simulator also duplicates and reorders): deliveries are
// numbered per connection, the client passes on only the next one in
// order, and the server sends again from the first one not received when
// acknowledgements stop (go-back-N with backoff; see Outbox and Inbox). So
// while a connection lasts, its slot gets every matching event exactly
// once, in order, across lost messages and short partitions.
//
// Disconnect is the same barrier as for a local connection: the
// connection is closed on the subscriber's node before Disconnect
// returns, so events still on their way are dropped when they arrive,
// and from outside the actors it waits for the slot's current delivery.
// The signal's node is told in the background (again until it confirms).
//
// Each side watches the other. When the subscriber's node dies, or is
// unreachable for its keepalive, or restarts (a client presents a new
// epoch each incarnation), the server removes its connections and counts
// the deliveries in flight to it and the events queued for it
// (ServerStats.LostInFlight, LostQueued; OnPeerLoss says which). When the
// signal's node goes, or closes the signal, the subscriber's connections
// end through OnLost (ErrPeerGone, ErrClosed); when it restarts (a server
// presents a new epoch each incarnation), the connections with the old
// incarnation end, those already made with the new one stay. Every second the client
// lists its open connections to each server, which answers those it no
// longer has; and a server whose client's list did not name all it holds
// asks the client for its connections, and removes those the client no
// longer has (its disconnects lost). So the two sides cannot disagree for
// long, even while no event flows.
//
// # The proposal → actorio
//
//	proposal                                           actorio
//	{ 'BlockIOEvent': {...} } (Event suffix)           an event type T; schema.Parse, cmd/signalgen
//	BlockIOEvent (opaque signal object)                *Signal[T] (one actor), NewSignal
//	BlockIOEventFunc *cb, void *opaque                 Slot[T]: FuncSlot(func(ctx, *Event[T])) or ActorSlot(pid)
//	block_io_event_connect(event, cb, opaque) → int    Signal.Connect(ctx, slot, opts...) → Handle (opaque, never reused)
//	block_io_event_signal(event, members...)           Signal.Emit(v, accessorArgs...) (never blocks)
//	block_io_event_disconnect(event, handle)           Signal.Disconnect(ctx, h) (a barrier)
//	[ 'block-device-event', {'device': 'str'}, ... ]   WithArgs("device") + Arg("device", v) filters; Emit(v, device)
//	  (signal accessor with arguments)
//	qmp_block_device_event(device) accessor            generated Signals.BlockDeviceEventConnect(ctx, device, slot)
//	QMP block-io-event-connect → 'str'                 qmp: <accessor>-connect returns the tag
//	QMP block-io-event-disconnect {'tag'}              qmp: <accessor>-disconnect {tag, accessor args}
//	'tag' on events of a connection                    Event.Tag; "tag" member on the QMP event line
//	default signal connection                          Session.Start; untagged events
//	capabilities-mode command dropping defaults        Session.DisconnectDefaults; qmp: disconnect-default-signals
//	libqmp_block_device_event_connect(sess, device,    generated Client.BlockDeviceEventConnect(ctx, device, func(BlockDeviceEvent))
//	  cb, opaque)
//	(not in the proposal) QEMU's event rate limiting   WithThrottle (period, key, exempt values), on the actor clock
//	(not in the proposal) slow consumers               Queue(limit, DropOldest|DropNewest), Event.Dropped
//	libqmp client of another process's signals         Remote[T](bus, address, name) + RemoteSignal.Connect; the
//	  (signals crossing processes)                       signal's node runs Serve(bus); wire.Signal* messages
//	(libvirt) remote callback id, server-side filter   the subscriber's Handle as Tag; Arg filters run on the signal's node
//	(not in the proposal) a peer's death               ServerStats.LostInFlight/LostQueued, OnPeerLoss; OnLost
package signalbus
