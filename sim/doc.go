// Package sim is actorio's deterministic simulator: it runs the same actors
// as a real actors.System, unchanged, on one goroutine, in an order chosen
// by a seeded scheduler, in virtual time.
//
// # The model
//
// A World holds nodes (each an actors.System whose Env is the World's),
// a scheduler, a virtual clock and named random streams:
//
//   - Every actor gets a step mailbox that hands it one message per
//     scheduling step, so every delivery is a choice point. The scheduler
//     keeps the mailboxes that have work and lets a Strategy (uniform
//     Random by default) pick the next one.
//   - The virtual clock is a timer heap. Messages take no virtual time;
//     when nothing is runnable, time jumps to the next timer. Timers due
//     now fire before the next step.
//   - World.Rand(name) is a stream derived from (seed, name) alone, so a
//     new stream for a new purpose never changes the draws of the others.
//   - Every scheduling decision, delivery (message type, sender,
//     receiver), timer firing, supervision decision and dead letter is
//     mixed into a running fingerprint. Same seed and same build give the
//     same fingerprint, in any process; WithRecording keeps the events
//     too, and FirstDivergence/CheckDeterminism find where two runs part.
//   - Everything must happen on the goroutine running the World. A
//     message, dispatch or timer call from any other goroutine (a real
//     timer, a goroutine started by actor code, a protoactor future with a
//     real timeout) is refused and fails the run with an EscapeError that
//     names what escaped and where from. Reading the time (World.Now,
//     the Clock's Now) is the exception: it is safe from any goroutine.
//
// # Faults
//
// A seed expands into a Profile (Swarm): each fault kind is on or off for
// the run, at random rates, and the profile prints on one line. The
// nemesis turns it into faults in virtual time: messages between nodes
// dropped, duplicated, reordered or delayed (NetFaults), symmetric and
// one-way partitions, clogged links and nodes, node crashes and restarts
// (Boot, Crash, Restart), injected actor panics (AllowPanics), and named
// fault points in the code (actors.Buggify, activated per site per run).
// Simulated devices add their own fault kinds (RegisterDevice, Decide).
// Faults only hit what the scenario declares survivable. At the profile's
// FaultTime the World heals (Heal): the network mends, crashed nodes
// restart, devices stop failing; afterwards every accepted operation must
// complete (liveness).
//
// Every injected fault is recorded in the run's Plan. WithPlan replays a
// plan exactly, and Shrink delta-debugs a failing seed's plan down to a
// 1-minimal set of faults that still breaks the same invariant.
//
// The network between nodes is protoactor remote's behaviour without
// gRPC: node addresses resolve (RegisterAddressResolver) to links of the
// World, FIFO per link, carrying only protobuf messages (copied, as a
// wire would) under a frame limit; a crashed or long-partitioned node's
// actors reach their remote watchers as Terminated{AddressTerminated}.
//
// Strategies: Random (uniform) and PCT (priority-based, depth d), which
// finds bugs that need a few precise orderings in far fewer seeds.
//
// Traces (WithRecording, WriteTrace): one line per event as text, JSON
// Lines, or Chrome-trace JSON for ui.perfetto.dev, where nodes are
// processes, actors are tracks and each send→deliver pair is an arrow.
//
// A run ends when the World is quiescent, at a virtual time (Until), after
// a number of steps (MaxSteps) or when a condition holds (UntilTrue).
// Callers outside the actors that wait (System.Request, System.Close, the
// blocking faces of streams) run the World through its Waiter until what
// they wait for happens, and get a deadlock error if it never can.
//
// A Scenario is a named workload with its checkers; RunScenario runs one
// seed of it, and cmd/simrun runs many.
//
//	w := sim.New(seed)
//	sys := w.MustNode("n1")
//	pid, _ := sys.Spawn(props)
//	sys.Send(pid, start{})
//	res, err := w.Run(sim.Until(time.Minute))
//	fmt.Printf("%016x\n", w.Fingerprint())
package sim
