// Package streamactor re-creates libvirt's stream API (virStream*) in Go,
// with every stream end an actor: Send and Recv, sparse streams with holes,
// Finish as the point where every asynchronous error surfaces, Abort,
// event callbacks, the *All helpers, and drivers that move real sparse
// files. The same actors run on a real actors.System and in the simulator
// (package sim), where files are simulated and can be told to fail.
//
// # The model
//
// A stream has two ends, a sending one and a receiving one. Each end is a
// pure state machine (Core) inside an actor. The sending end turns Send and
// SendHole into segments, Data or Hole(n>0), numbered from 1; the
// receiving end queues them and serves Recv, RecvFlags and RecvHole. Flow
// control is by credit for every segment kind: a data segment costs its
// buffer (a power of two, at least 512 bytes) plus SegmentOverhead, a hole
// costs SegmentOverhead whatever its length, and the receiver grants
// credit back as its queue drains. So the receiving end never holds more
// than its Window, however slow its consumer (libvirt's client queue is
// unbounded). The ends talk only by the messages of the stream protocol
// (Segment, Credit, Close); a remote end speaks the same protocol over
// another transport.
//
// The protocol's messages are plain Go values locally. Package
// streamactor/remote carries them between nodes (protoactor remote, or
// the simulator's network between nodes) through a link actor that each
// end takes as its peer (NewPeer, StartFileSource, StartFileSink); a link
// that loses its peer closes the end with Close{Lost}, whose cause the
// end returns as is.
//
// Each end has a close state (open; EOF sent or received; finished;
// aborted) and a latched first error: an error raised by the peer or a
// driver is returned by the next call of any kind, and Finish never
// returns nil if any accepted byte or hole failed to reach its
// destination. The ends of a Pipe live in one actor, so that a blocking
// Send can hand its bytes straight to a waiting Recv (one copy); nothing
// lent outlives one step of that actor.
//
// Callers outside the actors use the blocking face (the Stream methods),
// which waits through actors.System.Wait: a plain channel wait in a real
// system, a run of the World in a simulation. Each Stream keeps one
// request and one wake-up channel per kind of call and reuses them, so a
// Send or Recv allocates nothing. Actors, which must not block, use the
// message face (SendAsync, RecvAsync, ...), whose results come back as
// messages.
//
// # libvirt → Go
//
//	virStreamNew(conn, flags)          New(sys, opts...)       options NonBlock, Sparse, Window, MaxSegment, Flags(StreamNonBlock)
//	                                   NewPeer(sys, role, pid, opts...)  an end attached to an actor speaking the protocol (a transport's link; never waits)
//	                                   Pipe(sys, opts...)      two connected ends (the in-memory driver)
//	                                   Connect(ctx, w, r)      attach two ends made by New; they must agree on Sparse and MaxSegment
//	virStreamPtr, virConnectPtr        *Stream, *actors.System a stream belongs to an actor system, as a libvirt stream to its connection
//	virStreamRef / virStreamFree       Ref(), Free()           the last Free of an unfinished stream aborts it (libvirt: undefined) and logs
//	virStreamSend                      Send(ctx, p)            blocking: returns when all of p is accepted; NonBlock: what fits, or ErrWouldBlock; 0 bytes: no-op
//	virStreamRecv                      Recv(ctx, p)            0 < n ≤ len(p); holes read as zeros; end: 0, io.EOF (sticky)
//	virStreamRecvFlags                 RecvFlags(ctx, p, f)    RecvStopAtHole: at a hole 0, ErrHole (-3), nothing consumed
//	virStreamSendHole                  SendHole(ctx, n, 0)     n ≤ 0: ErrBadHole; non-sparse: ErrNotSparse; costs credit
//	virStreamRecvHole                  RecvHole(ctx, 0)        the head hole's length (> 0); no hole: 0, nil (never waits)
//	virStreamFinish                    Finish(ctx)             the sync point; sender: waits for the receiver's confirmation (a file sink: written, truncated, synced, closed)
//	virStreamAbort                     Abort(ctx)              idempotent, returns nil; the peer sees ErrAborted; a live callback gets ERROR once
//	                                   AbortWith(ctx, cause)   the same; the peer's *PeerError carries cause (a relay passes errors on)
//	virStreamEventAddCallback          EventAddCallback(ev, cb, free)   one per stream; free runs exactly once, after the last cb
//	virStreamEventUpdateCallback       EventUpdateCallback(ev)
//	virStreamEventRemoveCallback       EventRemoveCallback()   from another goroutine: waits for an invocation in progress, then runs free; from the callback: returns at once
//	virStreamEventCallback             EventCallback           func(st *Stream, events Event); opaque = the closure
//	virFreeCallback                    func()                  the free argument
//	virStreamSendAll                   SendAll(ctx, st, src)
//	virStreamRecvAll                   RecvAll(ctx, st, sink)
//	virStreamSparseSendAll             SparseSendAll(ctx, st, src, holeFn, skipFn)
//	virStreamSparseRecvAll             SparseRecvAll(ctx, st, sink, holeFn)
//	virStreamSourceFunc                Source                  func(st, p) (n, err); io.EOF or 0,nil at the end
//	virStreamSinkFunc                  Sink                    func(st, p) (n, err); must take ≥ 1 byte
//	virStreamSourceHoleFunc            SourceHole              func(st) (inData, length, err); (false, 0) is the end
//	virStreamSourceSkipFunc            SourceSkip              func(st, length) error
//	virStreamSinkHoleFunc              SinkHole                func(st, length) error
//	VIR_STREAM_NONBLOCK = 1            StreamNonBlock, NonBlock()
//	VIR_STREAM_RECV_STOP_AT_HOLE = 1   RecvStopAtHole
//	VIR_STREAM_EVENT_READABLE = 1      EventReadable           the next non-blocking Recv will not say ErrWouldBlock
//	VIR_STREAM_EVENT_WRITABLE = 2      EventWritable           the next non-blocking Send will not say ErrWouldBlock
//	VIR_STREAM_EVENT_ERROR = 4         EventError              an error is latched, or the stream was aborted
//	VIR_STREAM_EVENT_HANGUP = 8        EventHangup             the peer will send nothing more
//	return -2                          ErrWouldBlock           errors.Is(err, syscall.EAGAIN); NonBlock streams only
//	return -3                          ErrHole
//	virStorageVolDownload (fd stream)  AttachFileSource(st, f, opts)   SEEK_DATA/SEEK_HOLE; holes as zeros when not Sparse
//	virStorageVolUpload (fd stream)    AttachFileSink(st, f, opts)     hole = seek (or punch); trailing hole = truncate; sync before Finish; opts.Commit (a rename) before the confirmation
//	(the daemon's side of a remote     StartFileSource/StartFileSink(sys, f, opts, pid, ...)  the drivers facing an actor that speaks the protocol
//	 upload or download)                                       (package streamactor/remote's link to an end on another node)
//	virStreamInData (internal)         RecvFlags + RecvStopAtHole, then RecvHole
//	virConnectUploadFile,              AttachFileSource/AttachFileSink + SendAll/RecvAll   the seed's example calls (hypothetical API); examples/sparsecopy does
//	virConnectDownloadFile,                                    uploads and downloads for real between two processes, sparse or -dense
//	virConnectUpload/DownloadSparseFile                        (SparseSendAll/SparseRecvAll)
//	virEventHandleType bits            Event                   the events bitset passed to an EventCallback
//
// Go-native faces: Stream is an io.Reader and io.Writer (holes read as
// zeros), and its ReadFrom and WriteTo are sparse-aware for an *os.File
// of a regular file (SEEK_DATA/SEEK_HOLE, truncation for a trailing
// hole; a file cannot end past math.MaxInt64, so holes beyond it are
// EFBIG; the file's offset is left past what moved, also on failure, so
// that a call again goes on; a file truncated under ReadFrom is
// io.ErrUnexpectedEOF); other files (pipes, sockets, devices, and for
// WriteTo a file opened with O_APPEND) move in sequence. The file drivers take a block device's size from its end
// (stat says 0), and write zeros where it cannot punch a hole.
//
// # Where libvirt's drivers disagree, and what we do
//
//	case                         remote driver (2018)        fd stream               here
//	Send of 0 bytes              a packet                    ends the writer thread  no-op
//	SendHole(0) or negative      not checked (async error)   -1                      ErrBadHole, synchronously
//	RecvHole with no hole        0 and length 0              not implemented         0, nil
//	Finish twice                 -1 (driver detached)        0                       ErrClosed
//	Abort after Finish           0                           0                       nil, no effect
//	Abort with a latched error   -1                          0                       nil (the error was reported already)
//	error after the last Send    reported by Finish          lost (ret overwritten)  reported by Finish
//	Send after Finish or Abort   -1 NO_SUPPORT               -1 "not open"           ErrClosed
//	two adjacent holes           two -3 rounds               merged by lseek         merged unless the first was reported by ErrHole or the sum overflows int64
//	free function                never called (bug)          called                  called exactly once
//	Finish/Abort with a callback forbidden (fires forever)   removes it              removes it once Finish completes or Abort runs (after ERROR, for Abort)
//	Free of an active stream     leaks                       leaks                   aborts and logs
//	client receive queue         unbounded                   one message             bounded by the window
//	hole on a non-sparse stream  -1 OPERATION_INVALID        thread error            ErrNotSparse; a peer sending one is ErrProtocol
//
// Finish on the receiving end confirms the end of the stream: it is
// ErrNotAtEOF (and changes nothing) before Recv has returned io.EOF, even
// when everything has arrived (libvirt: "For input streams this should be
// called once virStreamRecv returns end-of-file"). The sending end's
// Finish completes when the receiver confirms; a callback registered on
// it is removed then. Finish waits even on a NonBlock stream. Recv with
// an empty buffer returns 0, nil (libvirt's 0 would look like the end).
//
// # Errors
//
// Every error below is a distinct value for errors.Is; calls wrap them
// with what failed and with what. Bad input never changes the stream: a
// refused attach (ErrAttached) leaves both the stream and the would-be
// peer as they were.
//
//	ErrWouldBlock          NonBlock stream, nothing can move now (EAGAIN)
//	ErrHole                RecvStopAtHole at a hole (the -3)
//	ErrClosed              any call after Finish or Abort, or after the actor stopped
//	ErrAborted             the peer aborted (a *PeerError carries its reason)
//	ErrNotAttached         data call or Finish before a driver or peer is attached
//	ErrAttached            attaching an end twice (Connect, AttachFileSource, AttachFileSink)
//	ErrDirection           Send on the receiving end, Recv on the sending end
//	ErrBadHole             SendHole with length ≤ 0
//	ErrNotSparse           SendHole or RecvHole on a non-sparse stream
//	ErrBadFlags            unknown flags (New, RecvFlags), flags ≠ 0 (SendHole, RecvHole), unknown events
//	ErrBadOption           bad option or argument (window not positive, too small or above MaxWindowLimit, max segment out of range, nil system, nil stream, nil file, a file sink's file opened with O_APPEND, negative offset, Connect of ends that disagree on Sparse or MaxSegment)
//	ErrBusy                a second data call while one is pending (from any goroutine); Finish while a Send is pending
//	ErrNotAtEOF            Finish on the receiving end before Recv returned io.EOF
//	ErrCallbackRegistered  a second EventAddCallback
//	ErrNoCallback          EventUpdateCallback or EventRemoveCallback with no callback
//	ErrNonBlockAll         an *All helper on a NonBlock stream (the stream is aborted, as in libvirt)
//	ErrBadCallback         a Source, Sink or hole function broke its contract (the stream is aborted)
//	ErrFreed               a call after the last Free, or a Free too many
//	ErrProtocol            the peer broke the protocol (sequence gap, credit overrun): the stream is aborted
//	ErrLength              a file sink got more than its Length (Is ENOSPC)
//	ErrNoSparseInfo        the file system cannot report or make holes (drivers fall back)
//	ErrInternal            the stream's actor, or its file driver's, panicked (a bug); the stream is aborted, and the call it was serving fails with it
//
// A Source or Sink that returns an error aborts the stream with that error
// as the reason, and the *All helper returns it: errors.Is finds the
// original error, and so does the peer's next call (through *PeerError).
//
// # Drivers and the simulator
//
// The file drivers are actors; their file operations run on a Runner
// outside the actors: a goroutine that owns the *os.File (OSFile), or, for
// sim.SparseFile, the simulation loop after a simulated delay. Nothing in
// an actor blocks or touches the disk.
//
// Event callbacks run on a per-stream executor on the system clock (a
// timer goroutine in a real system, a step of the World in a simulation),
// one at a time, never inside an actor's Receive. In a simulation a
// callback runs on the simulation loop, so it must not call a Stream
// method that waits (they all do): record the event and act on it from the
// test's goroutine. In a real system a callback may call any method.
package streamactor
