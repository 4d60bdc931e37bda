package detguard

// Allowed is actorio's allowlist: the files of the actor packages that may
// use a banned construct, and why. Everything else that runs inside an
// actor must follow the rules.
var Allowed = Allowlist{
	// The real environment: the only wall clock and OS randomness.
	"actors/real_env.go": {
		"time": "the real Clock reads the wall clock and runs timers on the Go runtime",
		"rand": "seeds the real system's generator from the OS",
	},
	// Waiting outside actors: Close, Request and the Waiter wait on
	// channels; none of this runs inside Receive.
	"actors/env.go": {
		"select":  "the real Waiter blocks a caller outside the actors",
		"channel": "the real Waiter receives the awaited token",
	},
	// The real dispatcher: a pool of worker goroutines that run mailboxes.
	// A simulation replaces it with the World's single-goroutine one.
	"actors/dispatcher.go": {
		"go":      "starts a worker goroutine when none is parked",
		"channel": "hands a mailbox to a parked worker; closes the pool on Close",
		"select":  "hand-off that never blocks the scheduling actor; a parked worker waits for work or Close",
	},
	// The real-mode lean mailbox (HotPath): a simulation replaces it with
	// the World's step mailbox, as for every actor.
	"actors/mailbox.go": {
		"runtime": "the real mailbox yields its goroutine (runtime.Gosched) every inlineThroughput messages",
	},
	"actors/toplevel.go": {
		"select":  "closes the 'all stopped' channel once, without blocking",
		"channel": "the 'all stopped' channel Close waits on",
	},
	// The default logger: what actors log never feeds back into a run.
	"actors/logging.go": {
		"io": "the quiet default logger writes warnings to standard error",
	},
	"actors/request.go": {
		"channel": "the reply channel a caller outside the actors waits on",
	},
	// Loading a node's certificates, once, before it starts.
	"actors/node/tls.go": {
		"io":   "reads PEM certificate and CA files before the node starts",
		"time": "checks the certificate's validity against the wall clock once, as the node starts",
	},
	// Stopping a node and dialling its peers: on Stop's caller and on
	// gRPC's goroutines, never inside an actor.
	"actors/node/stop.go": {
		"io":      "dials peers for gRPC (retrying a refused connection) and closes a connection made as the node stops",
		"time":    "the pause between dials of a refused peer, and Stop's bounded wait for the connections the node dialled",
		"select":  "a dial waits for its retry pause, its deadline or the node's stop; Stop waits, bounded, for the connections the node dialled to close",
		"channel": "the same wait",
		"go":      "context.AfterFunc ends a dial in progress when the node stops",
		"future":  "Stop waits (sync.Cond) for the node's inbound stream handlers to return, and, bounded, for protoactor's activator to stop, outside any actor",
	},
	// The node's record of the connections it dialled, which Stop waits
	// for: on gRPC's goroutines and Stop's caller, never in an actor.
	"actors/node/dialled.go": {
		"io":      "closes a connection the node dialled that Stop's bounded wait found still open",
		"channel": "closed once the last connection the node dialled is closed after Stop began, for Stop to wait on",
	},
	// Start checks its listen address before protoactor listens on it.
	"actors/node/listen.go": {
		"io": "listens on the node's address once in Start, outside any actor, so a taken address is an error value",
	},
	// Probe is called by a Go caller (never an actor) to explain a peer
	// that did not answer.
	"actors/node/probe.go": {
		"io":   "dials the peer once, outside any actor, to say why it does not answer",
		"time": "bounds that dial with a wall-clock deadline (context.WithTimeout), outside any actor",
	},
	// The simulator's own Waiter polls a channel without blocking: the
	// loop runs on the caller's goroutine, so nothing else can close it.
	"sim/base.go": {
		"channel": "each node's protoactor system gets its own stop channel (never used by actors)",
	},
	"sim/profile_file.go": {
		"io": "saves and loads fault profiles for the command line, outside any run",
	},
	"sim/run.go": {
		"select":  "non-blocking poll of the awaited channel between steps",
		"channel": "receives the awaited token between steps",
	},
	// sockactor's real transport: drivers that own the file descriptors.
	// Each socket's fd belongs to its driver goroutines, which serve one
	// outstanding read and one write at a time and report to the socket
	// actor only through its Sink (a message send). Actor code never
	// calls them except through the Transport interface's non-blocking
	// methods.
	"sockactor/net.go": {
		"go": "starts the dialing goroutine that owns a connecting socket",
		"io": "binds listeners and datagram sockets (a bind never blocks)",
	},
	"sockactor/net_stream.go": {
		"io":      "the driver goroutines own the connection: they read, write, close it and report its addresses",
		"go":      "the reader and writer goroutines own a connected socket's fd",
		"channel": "the actor's read/write requests reach the driver goroutines",
		"select":  "driver goroutines wait for a request or for Close; requests never block the actor",
		"future":  "the closer goroutine waits for the driver goroutines (sync.WaitGroup) before reporting EvClosed",
	},
	"sockactor/net_listen.go": {
		"io":      "the accept goroutine owns the listener: it accepts, closes it and reports its address",
		"go":      "the accept goroutine owns the listening socket's fd",
		"channel": "the actor's accept requests reach the driver goroutine",
		"select":  "the driver goroutine waits for a request or for Close; requests never block the actor",
		"future":  "the closer goroutine waits for the accept goroutine (sync.WaitGroup) before reporting EvClosed",
		"time":    "the accept goroutine backs off on the wall clock after an accept failed for lack of descriptors (a real socket's driver, never an actor)",
	},
	"sockactor/net_packet.go": {
		"io":      "the driver goroutines own the datagram socket: they receive, send, close it and report its address",
		"go":      "the reader and writer goroutines own a datagram socket's fd",
		"channel": "the actor's recv/send requests reach the driver goroutines",
		"select":  "driver goroutines wait for a request or for Close; requests never block the actor",
		"future":  "the closer goroutine waits for the driver goroutines (sync.WaitGroup) before reporting EvClosed",
	},
	"sockactor/net_ready_unix.go": {
		"io": "the reader goroutines read only when the socket is readable (syscall.RawConn), so an idle socket holds no buffer",
	},
	"sockactor/net_peek_linux.go": {
		"io": "the reader goroutines peek the size of the unix datagram waiting (recvOnce, in net_ready_unix.go) so that one above 64 KiB is received whole",
	},
	"sockactor/net_batch.go": {
		"io": "the writer goroutine sends bursts of datagrams with sendmmsg; built when the driver is",
	},
	"sockactor/net_ready.go": {
		"io": "the plain blocking reads a driver goroutine falls back to",
	},
	// sockactor's blocking Go face: a request handle is finished by
	// closing its channel (never blocks) and waited on through the
	// System's Waiter, outside the actors.
	"sockactor/pending.go": {
		"channel": "a request handle's done channel, closed once by the socket actor, waited on outside the actors",
	},
	// signalbus: a blocking Disconnect or remote Connect waits for the
	// signal actor or the remote client to close a waiter's channel
	// (never blocks), through the System's Waiter, outside the actors.
	"signalbus/wait.go": {
		"channel": "a waiter's done channel, closed once by the actor that answers, waited on outside the actors",
	},
	// signalbus: the QMP client is a plain Go client outside the actors
	// (the proposal's libqmp): a reader goroutine owns the socket, an
	// executor goroutine runs event handlers in order, callers wait for
	// their replies on channels.
	"signalbus/qmp/client.go": {
		"go":      "the socket reader and the event executor goroutines of the client",
		"select":  "callers wait for a reply or their context; the executor waits for events or close",
		"channel": "reply, wake-up and close channels between the caller, reader and executor goroutines",
		"future":  "sync.WaitGroup.Wait in Close, which is called outside any actor",
		"io":      "dials the QMP server (a client, never inside an actor)",
		"time":    "a late disconnect runs on a client goroutine under a wall-clock deadline (context.WithTimeout)",
	},
	// streamactor's blocking Go face: Stream's methods block the calling
	// goroutine, never an actor (actors use the message face).
	"streamactor/stream.go": {
		"runtime": "Send yields the caller's goroutine after a hand-off so the receiving goroutine runs (runtime.Gosched)",
	},
	// streamactor's Go-native faces for *os.File (ReadFrom, WriteTo): they
	// run in the caller's goroutine, outside the actors, reading or writing
	// the caller's file and blocking on the stream's face.
	"streamactor/io.go": {
		"io": "ReadFrom/WriteTo seek, read, write and truncate the caller's *os.File outside any actor",
	},
	// streamactor's File adapter over a real *os.File, used only by the
	// file driver's goroutine (runner.go).
	"streamactor/osfile.go": {
		"io": "the File adapter's methods call *os.File on the driver goroutine that owns it",
	},
	// streamactor: the wake-up tokens of the blocking face. The actor
	// only ever signals without blocking (room for one token); callers
	// wait on them outside the actors, through System.Wait.
	"streamactor/waker.go": {
		"channel": "reusable wake-up channel of a blocked stream caller (cap 1)",
		"select":  "non-blocking signal and drain of that channel",
	},
	// streamactor's file driver: the goroutine that owns a real file and
	// runs its operations outside the actors (simulated files run theirs
	// on the simulation loop instead).
	"streamactor/runner.go": {
		"go":      "the driver goroutine that owns a real file",
		"channel": "wakes the driver goroutine when an operation is queued",
		"select":  "non-blocking wake-up of the driver goroutine",
	},
	"streamactor/osfile_linux.go": {
		"io": "fallocate(PUNCH_HOLE) on a real file, run by the driver goroutine or the caller of WriteTo",
	},
	// props.CheckStream, the stream conformance suite: it drives both ends
	// of a stream on a real System from goroutines outside the actors
	// (a producer goroutine, a consumer goroutine, polling with sleeps) and
	// never runs inside a simulation or an actor.
	"props/stream_conformance.go": {
		"go":      "producer goroutines driving a real stream's sending end",
		"channel": "the test goroutine waits for those producers",
		"time":    "a producer on a NonBlock stream retries after a short sleep",
	},
	"props/stream_conformance_close.go": {
		"go":      "producer goroutines driving a real stream's sending end",
		"channel": "the test goroutine waits for those producers",
	},
	"props/stream_conformance_flow.go": {
		"go":      "producer goroutines driving a real stream's sending end",
		"channel": "the test goroutine waits for a callback's signal",
		"select":  "waits for a callback's signal or the test's deadline",
		"time":    "polls a real stream's stats and waits for late callbacks",
	},
}
