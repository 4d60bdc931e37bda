package props

// Invariant is one numbered invariant of a research file and where it is
// checked: StreamInvariants (libvirt-streams.md §4; checkers report
// "S<n>: ..."), SignalInvariants (qapi-events.md §5; "I<n>: ...").
type Invariant struct {
	N     int
	Text  string
	Where string // the checks, or why it does not apply
}

// StreamInvariants lists every invariant of research §4: each is checked
// somewhere, or stated not applicable with the reason. CoreMachine is the
// rapid machine over the pure core (its end ends each run's transfer and
// checks the result), ActorMachine the one over the actors in the
// simulator, CheckStream the conformance suite (pipe, connected ends,
// file source, file sink), Stream the simulation scenario.
var StreamInvariants = []Invariant{
	{1, "content preservation (dense)", "CoreMachine (reads without STOP_AT_HOLE: a prefix after every step, everything at the end, dense compare), ActorMachine, CheckStream content, Stream (non-sparse plans)"},
	{2, "content preservation (sparse, normalised extents)", "CoreMachine (STOP_AT_HOLE runs, Extents.Equal), ActorMachine, CheckStream content/chunking, Stream"},
	{3, "hole offsets are exact", "Diff compares normalised extents offset by offset: CoreMachine, ActorMachine, CheckStream, Stream"},
	{4, "no hole swallowed or duplicated; totals equal", "CoreMachine (Check: the received data and hole totals never exceed the sent ones; end: equal in runs that stop at holes), extent equality everywhere"},
	{5, "-3 consumes nothing and RecvHole returns exactly that hole", "CoreMachine (head segment at -3), CheckStream stop-at-hole, ActorMachine"},
	{6, "RecvHole resets (never the same hole twice)", "CheckStream stop-at-hole (second RecvHole is 0), CoreMachine, ActorMachine (content check catches a duplicate)"},
	{7, "a read never spans a hole with STOP_AT_HOLE", "CoreMachine (every read in strict mode is data in the model), CheckStream stop-at-hole"},
	{8, "zero-length holes never observed; SendHole(≤0) rejected", "CoreMachine (segments and RecvHole results), CheckStream bad-input, ActorMachine; the receiver rejects a peer's zero hole (ErrProtocol)"},
	{9, "0 < n ≤ len(p) for Send and Recv; callers loop", "CoreMachine, ActorMachine; the workload actors and helpers loop"},
	{10, "EOF is sticky", "CoreMachine (no data after EOF; end: a Recv after EOF returns EOF again), ActorMachine (no data after EOF)"},
	{11, "EOF only after all data", "CoreMachine (EOF with everything sent received), Stream"},
	{12, "-2 only with NONBLOCK, iff nothing deliverable; it changes nothing", "CoreMachine (queue empty, state unchanged), ActorMachine"},
	{13, "an error from the peer or a driver is returned by the next call", "CoreMachine (when a peer's abort arrives, the next Send/Recv, SendHole/RecvHole and Finish each fail with ErrAborted and change nothing), CheckStream abort/source-error, Stream (aborts, file EIO/ENOSPC)"},
	{14, "Finish is the sync point: nil means everything arrived, any failure means an error", "CoreMachine (a Finish that returns nil finds everything received; end: without an abort both ends finish, otherwise no Finish succeeds), CheckStream finish-sync, ActorMachine, Stream (upload: crash after Finish loses nothing; sync EIO fails Finish), sim TestSparseFileDriversSim"},
	{15, "terminal states move nothing", "CoreMachine (probes after Abort/Finish), CheckStream terminal, ActorMachine"},
	{16, "Abort is idempotent (nil, no effect on a closed stream)", "CoreMachine, CheckStream terminal, ActorMachine"},
	{17, "no data or clean EOF after the producer aborted", "CoreMachine (no EOF after an abort before the EOF went out, during the run and at the end), Stream producer-abort, CheckStream abort, ActorMachine"},
	{18, "a single close handshake; Finish and Abort racing: one wins", "CoreMachine (at most one Close per end); a parked Finish fails when an Abort wins, Abort after a successful Finish does nothing"},
	{19, "length window: data and holes capped, ENOSPC past it", "file drivers only (FileOptions.Length): streamactor TestSinkLength, TestSourceOffsetLengthNoSparse. Not applicable to pipes, which have no length"},
	{20, "order: extents arrive in the order sent", "prefix checks everywhere; CoreMachine: no protocol error between correct ends (canaries: duplicated, lost, reordered segments are caught)"},
	{21, "sparse gating: no hole on a non-sparse stream", "CoreMachine (no hole segment, ErrNotSparse), CheckStream bad-input, ActorMachine"},
	{22, "one callback; Add twice, Update/Remove without one are errors", "ActorMachine, CheckStream bad-input"},
	{23, "free runs exactly once, after the last callback", "ActorMachine (per registration), CheckStream events, streamactor TestRemoveFromCallback, TestFreeCallsFree"},
	{24, "no callback after Remove returns (but the one calling it)", "streamactor TestRemoveFromCallback; the executor drops queued invocations of a removed registration"},
	{25, "events truthful; ERROR at most once on Abort", "ActorMachine (sim, the next call after an event), CheckStream events (real, the call inside the callback)"},
	{26, "refcount safety", "ActorMachine, CheckStream terminal, streamactor TestFreeActiveStream. Deviation: a registered callback does not hold a reference; the last Free (or Finish/Abort) removes it and runs free, so free is never leaked (libvirt's remote driver leaks it)"},
	{27, "the *All helpers abort on failure and keep the original error", "CheckStream source-error, streamactor TestAllBadCallbacks, TestAllPanicAborts"},
	{28, "the *All helpers refuse NONBLOCK, aborting the stream", "CheckStream bad-input nonblock-all"},
	{29, "sparse file round trip keeps content, size and holes (leading, trailing)", "CheckStream file-source/file-sink, Stream upload/download, examples/sparsecopy (4 GiB, leading and trailing holes)"},
	{30, "backpressure: a stalled consumer's end holds at most the window", "CoreMachine and ActorMachine Check, CheckStream backpressure, Stream stalled-consumer"},
	{31, "chunking independence (1, 262120, larger than a segment)", "CheckStream chunking; CoreMachine draws chunk and buffer sizes"},
	{32, "empty transfer: immediate EOF, Finish nil; a zero-length Send is a no-op", "CheckStream empty, CoreMachine"},
}
