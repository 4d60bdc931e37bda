// Package sockactor re-creates Samba's tsocket async helpers with every
// socket an actor. A socket (stream or datagram) is one actor that owns one
// transport endpoint; every _send/_recv pair of the seed becomes a request
// message and exactly one completion message. Go callers get a request
// handle (*Pending: Wait(ctx), Done(), Cancel()); actors send the request
// messages themselves and get the completion at their PID. A completion is
// never synchronous with its request.
//
// # The model
//
// Each socket actor is a thin shell around a pure state machine
// (StreamMachine, DgramMachine) that takes requests, transport events,
// cancels and timer expiries and returns effects: completions, transport
// reads/writes/closes, timers. The machines hold all the rules, so they are
// property-tested directly (package props). The socket actor never touches
// a file descriptor: it drives a Transport endpoint, whose events come back
// as messages. The real Transport (RealTransport, type Net) gives each fd to
// driver goroutines; package sim's network implements the same interface
// inside a deterministic simulation.
//
// # Seed API → actorio
//
//	seed (tsocket_guide.txt)                 actorio
//	tsocket_recvfrom_send/recv               Dgram.RecvFrom() / *RecvFrom → *RecvFromDone (whole datagram + source)
//	tsocket_sendto_send/recv                 Dgram.SendTo(p, dst) / *SendTo → *SendToDone
//	tsocket_sendto_queue_send/recv           Dgram.SendToQueue(p, dst) / *SendToQueue → *SendToDone
//	tsocket_connect_send/recv                Conn.Connect(network, addr) / *Connect → *ConnectDone; Dial = NewConn+Connect+Wait
//	tsocket_writev_send/recv                 Conn.Writev(bufs...) / *Writev → *WritevDone
//	tsocket_writev_queue_send/recv           Conn.WritevQueue(bufs...) / *WritevQueue → *WritevDone
//	tsocket_readv_send/recv + next_iovec     Conn.ReadPDU(next) / *ReadPDU → *ReadPDUDone; next is a NextFunc
//	tstream_readv_pdu_queue_send (modern)    Conn.ReadPDUQueue(next) / *ReadPDUQueue → *ReadPDUDone
//	(no seed equivalent: batch PDU reads)    Conn.ReadPDUs(frame, max) / *ReadPDUs → *ReadPDUsDone (every whole PDU already buffered, at once)
//	tstream/tdgram_disconnect_send (modern)  Conn.Disconnect(), Dgram.Disconnect() / *Disconnect → *DisconnectDone
//	tsocket_set_event_context                the socket actor is its own event context
//	talloc_free(req) (cancel)                Pending.Cancel() / *Cancel{Req}
//	tevent_req_set_endtime (timeout)         WithTimeout(d) / the Timeout field, on the actor clock
//	freeing the socket                       Close() / *Close: everything pending → ECONNABORTED
//	(no seed equivalent: servers)            Listen → *Listener; Accept() / *Accept → *AcceptDone; AcceptTo(pid)
//	the 2009 readv_next_iovec PDU patterns   Frame: LengthPrefixed(2|4, max), HeaderLength(hdr, off, width, max)
//	tsocket_context + its backend            Transport (RealTransport; sim.Network.Host in simulations)
//	struct tsocket_address                   net.Addr (RecvFromDone.Src, SendTo's dst, LocalAddr/RemoteAddr; Connect takes network + address)
//	tsocket_get_status / perrno              the sticky error: every later completion's Err carries it (errors.Is(err, syscall.Exxx))
//
// # Rules (modern Samba semantics)
//
//   - One pending read and one pending write per socket: a second direct
//     ReadPDU/Writev/RecvFrom/SendTo gets EBUSY and the first is untouched.
//     The queue variants wait their turn in submission order.
//   - A stream's first fatal error (EOF → EPIPE, ECONNRESET, a PDU whose
//     framing failed) is sticky: every later request fails with it, and the
//     requests queued behind it complete, in order, with it. Datagram errors
//     are per request.
//   - Stopping a socket (Close, or its owner stopping) completes everything
//     pending with ECONNABORTED (Samba silently drops them: a deliberate
//     deviation).
//   - Disconnect with I/O pending → EBUSY; while disconnecting → EALREADY;
//     I/O during a disconnect → ECONNABORTED, after it → ENOTCONN.
//   - Timeouts are per request, on the actor clock: ETIMEDOUT.
//   - Cancel before a request started is clean (ECANCELED, no I/O); a cancel
//     or timeout after a partial transfer (bytes of a PDU consumed, a write
//     handed to the transport) completes it with ECANCELED/ETIMEDOUT and
//     poisons the stream (later requests: ECONNABORTED). A write the
//     transport is writing completes once the transport has aborted it and
//     let go of its buffers, so a completed write's buffers are the
//     caller's again (Samba frees the inner writev); so does a sendto the
//     transport is sending, without poisoning anything (the datagrams of
//     its batch that the abort kept from leaving go again). Stopping the
//     socket does not abort writes (the endpoint closes with them), but their
//     ECONNABORTED completions, and a datagram socket's sends', still wait
//     until the closed endpoint has let go of their buffers (closing it
//     bounds the wait) — if need be after the actor has stopped; the Go
//     face reports the socket stopped only then.
//   - A request message is one request. Sent again (to any socket)
//     before its completion, it is refused with EALREADY — one completion
//     to the ReplyTo or sender of the message sent again, never to the Go
//     handle — and the pending request is untouched; after its
//     completion it may be sent again, as a new request. A nil request
//     message gets EINVAL, a request the socket cannot carry out (an
//     Accept sent to a stream, say) EOPNOTSUPP.
//   - A PDU read never consumes more than next asked for: the socket buffers
//     what it received, and the bytes after a PDU stay for the next read.
//   - next returning an error without an errno → EIO; a vector with entries
//     but no bytes → EINVAL; more than IOVMax entries or a PDU over MaxPDU →
//     EMSGSIZE. A panic in next is recovered as EIO.
//   - A peer closing in the middle of a PDU → EPIPE, never a short PDU.
//   - A batch read (ReadPDUs, ours) is one request and one completion, in
//     the read queue like a ReadPDUQueue: it reads its first PDU (waiting
//     for it, with ReadPDU's rules for errors, cancels and timeouts), then
//     takes every further PDU already whole in the receive buffer, up to
//     its maximum, without waiting for more bytes. It only starts a PDU
//     whose header decodes and whose bytes are all there, so it fails
//     only on its first PDU and leaves anything else whole for the next
//     read. It starts its Frame over when it begins, so one Frame serves
//     batch after batch, a failed one's retry included. It exists for
//     pipelining servers: one completion per burst instead of per PDU
//     (BenchmarkPDUEcho1KBatch against BenchmarkPDUEcho1K measures what
//     that is worth).
//   - Datagrams arrive whole with their source address; a zero-length
//     datagram is delivered (0 bytes) and never blocks later ones; sendto of
//     0 bytes → EINVAL; over MaxDatagram → EMSGSIZE.
//   - Errors are *Error values wrapping a syscall.Errno, so
//     errors.Is(err, syscall.EBUSY) works.
//
// # Using it
//
//	c, err := sockactor.Dial(ctx, sys, sockactor.RealTransport(), "tcp", addr)
//	w := c.WritevQueue(hdr, body)                // *Pending[int]
//	f := sockactor.LengthPrefixed(2, 65535)
//	n, err := c.ReadPDU(f.Next).Wait(ctx)        // f.Body() is the PDU
//	c.Close()
//
// From an actor, send the messages and handle the completions:
//
//	ctx.Request(conn.PID(), &sockactor.ReadPDU{Next: f.Next, Tag: f})
//	case *sockactor.ReadPDUDone: // m.Tag.(*sockactor.Frame).Body()
//
// The next function and every completion run or arrive inside actors: next
// must be quick and must not block.
package sockactor
