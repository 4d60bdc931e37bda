// Package qmp serves a signalbus.Bus over QMP, the QEMU Machine Protocol,
// on sockactor stream sockets (unix and TCP), and has a QMP client.
//
// The default path is byte-compatible with QEMU (checked against a real
// qemu-storage-daemon): the greeting, capabilities negotiation with
// qmp_capabilities, commands with their id echoed, errors as
// {"id": ..., "error": {"class", "desc"}} with QEMU's classes and texts,
// and events as {"timestamp": {"seconds", "microseconds"}, "event",
// "data"}, every message one ASCII JSON object on a CRLF-terminated line.
// Input goes through a Go rendition of QEMU's JSON lexer, streamer and parser
// (qjson.go): the same messages (no newline needed; single-quoted
// strings and the \' escape accepted; modified UTF-8), the same errors
// with the same texts, and the same recovery after a lexical error (input
// skipped up to a structural or control character; a control character,
// in a string or not, resets the parser). A request's members are
// checked in the order QEMU's QDict iterates them. Output is written as
// QEMU's JSON writer does: \uXXXX with upper-case hex for control
// characters, DEL and non-ASCII, <, > and & as themselves, doubles as
// %.17g, and an echoed id re-rendered as QEMU renders it (numbers, and
// members in QDict order); returns and events keep their members in the
// order encoding/json writes them, with encoding/json's rules (struct
// tags, marshalers, sorted map keys) but Go's number kinds kept, as
// QEMU's QNum keeps them: a float32 or float64 is written as a double
// (1e17 as 1e+17, NaN and ±Inf as nan, inf, -inf), an integer as an
// integer.
//
// From the QAPI events proposal: each signal's accessor gives the
// commands <accessor>-connect (its arguments are the accessor's; it
// returns the tag) and <accessor>-disconnect {tag, accessor arguments}
// (those left out are not checked; those given must be the ones the
// connection was made with, or the tag is unknown for that object);
// events of an explicit connection carry "tag"; disconnect-default-signals, accepted in
// capabilities-negotiation mode, leaves only explicit connections. An
// event's data also carries the accessor arguments it was emitted for
// (device), so default connections can tell objects apart. Wire names
// are QEMU style: BlockIOEvent → BLOCK_IO_EVENT.
//
// Also: query-version, query-commands, query-events, query-qmp-schema;
// application commands (Server.Register), whose arguments are checked
// against schema types before they run and whose events are written
// before their return (or error), as QEMU does; a handler that panics
// gets a GenericError and the session goes on. Limits: sessions per
// server, bytes per input value, values read ahead of the command being
// handled, and each session connection's backlog (a client that stops
// reading gets a SIGNAL_OVERFLOW event with the count it lost). A unix
// socket is created with mode 0600 unless told otherwise; a TCP address
// without a host binds loopback.
//
// The session (Conn) is an actor around a pure Machine (decoding,
// validation in QEMU's order, modes, output formatting); it reads and
// writes through a Stream, which SockStream implements over a sockactor
// Conn (ReadPDU with a Frame as the PDU reader, Writev).
//
// Client is the proposal's libqmp without types: Execute with ids,
// Connect/Disconnect binding a handler to a tag, handlers run in order
// on one goroutine. cmd/signalgen generates the typed client on top.
package qmp
