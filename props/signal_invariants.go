package props

// SignalInvariants lists the 30 invariants of research/qapi-events.md §5
// and where each is checked; none is left out as not applicable. "model"
// means the per-connection transcripts of the real thing are compared
// with the reference model (SigModel), which holds the invariant by
// construction: the core machine (TestSignalCoreMatchesModel, the pure
// core) and the model machine (TestSignalActorsMatchModel, the actors in
// the simulator), after every step. "log" means CheckSignalLog checks it
// on what the slots saw, without a model (the model machine and the simrun
// scenario run it). Checkers name an invariant "I<n>".
var SignalInvariants = []Invariant{
	{1, "handle uniqueness", "model machine: no handle is returned twice; signalbus tests"},
	{2, "handle scope", "model machine: disconnect by another session → ErrUnknownHandle, nothing changes; QMP test (another session's tag)"},
	{3, "tag ↔ handle", "log: explicit deliveries carry Tag == handle, default ones none; QMP tests (byte-exact lines)"},
	{4, "exactly once", "model (no loss, no duplicate); log: no id twice on a connection"},
	{5, "filter soundness", "model; log: a filtered connection sees only its dev, and only its signal"},
	{6, "filter completeness", "model"},
	{7, "no delivery after Disconnect", "model machine: nothing recorded after a disconnect (blocking or from the slot) returned; log: no delivery ordered after its Disconnect returned (canary signal-after-disconnect)"},
	{8, "no retroactive delivery", "model (connections see only later fan-outs)"},
	{9, "connect during dispatch", "signalbus TestReentrancy: a connection made from inside a slot sees only the events emitted after it"},
	{10, "per-connection FIFO", "log: Seq strictly increasing on every connection"},
	{11, "one order per signal", "log: an emission has the same Seq on every connection"},
	{12, "isolation", "model (each connection's transcript is computed alone, stalls included)"},
	{13, "duplicate policy", "signalbus TestDuplicateConnects: two identical connects give two handles and two deliveries"},
	{14, "negotiation silence", "model: a session's default connections exist from Start on and get nothing emitted before it; an explicit connect on a session not yet started is refused (ErrNotStarted), so nothing reaches it before Start (signal_sim_test's connect action expects the refusal). Over QMP the endpoint starts the session at qmp_capabilities and refuses every other command but disconnect-default-signals before it (differential test vs qemu-storage-daemon); no QMP test emits during negotiation"},
	{15, "default connections", "model (start, opt-out before and after start); QMP tests"},
	{16, "throttle spacing", "log: deliveries of one throttled key (exempt excepted) ≥ period apart"},
	{17, "throttle last-not-lost", "model (latest wins, delivered at the period's end); scenario: every connection that stayed open and kept up got the last emission of each key it matches (CheckSignal)"},
	{18, "latest wins, key order", "model; log: within a key, ids increase"},
	{19, "first event immediate", "model: the actor machine compares after every step, so a first emission not handed over at once is missing there; log: a key's first delivery on a slot that keeps up comes at most one period after its emission (the connection may have been made inside a period)"},
	{20, "key independence, exempt", "model"},
	{21, "window bound", "follows from I16 (checked): deliveries ≥ P apart put at most ⌊W/P⌋+1 ≤ ⌈W/P⌉+1 in any W"},
	{22, "throttle before fan-out", "model (one throttle per signal and key, shared by all connections)"},
	{23, "timestamp fidelity", "log: Time is the emission time, ≤ the delivery time; QMP tests (seconds/microseconds)"},
	{24, "schema conformance", "cmd/signalgen golden tests, internal/seedapi (typed decode of wire events); QMP query-qmp-schema test"},
	{25, "wire framing, correlation", "signalbus/qmp: differential test vs qemu-storage-daemon, fuzzing, id echo tests"},
	{26, "causality", "signalbus/qmp TestCommandEventsBeforeReturn: an application command's events are written before its return"},
	{27, "re-entrancy", "model machine (disconnect from inside the slot); signalbus TestReentrancy (emit/connect inside a slot)"},
	{28, "slow-consumer bound", "model (bounded backlog, declared policy, Dropped marker): the core machine, and the actor machine's bursts into stalled slots (both policies); core machine: queue ≤ limit"},
	{29, "cleanup", "model machine (closing a session removes its connections); signalbus TestSessionCloseCleansUp (connections gone, executors stop), goleak"},
	{30, "determinism", "the signal scenario under sim.CheckDeterminism (TestSignalScenarioDeterministic)"},
}
