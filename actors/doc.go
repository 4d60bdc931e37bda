// Package actors is actorio's runtime face over protoactor-go: a System that
// runs actors in an environment (Env) it supplies, either the real one or
// the deterministic simulator of package sim, with the same actor code.
//
// # The model
//
// An actor is a protoactor actor (an actor.Actor with Receive(actor.Context)).
// A System owns a protoactor ActorSystem and an Env: the dispatcher that
// runs mailboxes, the mailbox producer, the Clock, the random source, the
// logger and the Waiter that blocks callers outside the actors. Every spawn
// goes through the System, children included (a spawn middleware prepares
// the Props of every child), so no actor escapes onto a goroutine or a
// clock the Env does not control.
//
//	sys := actors.New()                      // real: worker goroutines, wall clock
//	pid, err := sys.Spawn(actor.PropsFromProducer(newCounter))
//	...
//	err = sys.Close(ctx)                     // stops every actor and waits
//
// Inside Receive, actors use these helpers instead of protoactor's timers
// and futures, which run on the wall clock and on goroutines of their own:
//
//	actors.After(ctx, d, msg)               // msg to self, once, d from now
//	actors.Every(ctx, period, msg)          // msg to self, periodically
//	actors.Ask(ctx, pid, req, timeout, cont) // cont(reply, err) inside the actor
//	actors.SetIdleTimeout(ctx, d)           // *IdleTimeout after d of silence
//	actors.FromContext(ctx).Now()/.Rand()   // the clock and the seeded generator
//
// Timers and asks belong to the actor: they end when it stops and are
// dropped when it restarts, so a late tick or reply never reaches a new
// incarnation. In a simulation an Ask times out at exactly its virtual
// deadline.
//
// Callers outside the actors use System.Request (a blocking ask) and
// System.Wait; in a simulation these run the World until the awaited thing
// happens and report a deadlock if it never can.
//
// # What protoactor does, and what changes here
//
//	protoactor                         actors
//	ActorSystem.Shutdown (stops nothing)   System.Close: poisons top-level actors, waits
//	RequestFuture(pid, m, d)           Ask(ctx, pid, m, d, cont) on the actor clock
//	SetReceiveTimeout                  SetIdleTimeout on the actor clock
//	scheduler.NewTimerScheduler        After, Every
//	default supervisor (wall clock)    OneForOne on the System clock, for top-level
//	                                   actors and every actor without its own
//	logs at Info on stderr             routed to the Env's slog logger, Warn by default
//	panics and dead letters logged     counted in Stats and reported to an Observer
//	a panic in Stopping or Stopped     counted as a failure; the actor stops
//	  restarts the actor (the stop is
//	  lost) or leaves it half-stopped
//	Props without a dispatcher         the Env's dispatcher and mailbox, always
//	a goroutine per mailbox activation  a pool of workers that keep their
//	                                   grown stacks (a ping-pong round trip
//	                                   5 µs → about 1 µs)
//	a MessageEnvelope per message when  none: timers, asks and idle timeouts
//	  receive middleware is installed  live in a wrapper actor
//	a 1,024-map process table (3 MB)   one map of 32 shards per 8 cores
//
// Data-path actors (a stream's ends, a socket) go further with HotPath: a
// mailbox that allocates nothing and runs on the sender's goroutine.
//
// A service that already runs protoactor can Wrap its ActorSystem: actors
// spawned through the wrapper get all of the above; its own actors are left
// alone.
//
// # Pitfalls
//
//  1. Never block inside Receive: no channel waits, Sleep, Future.Result,
//     locks held across sends, System.Request, System.Wait, System.Close.
//     It stalls a real system and the simulator refuses it. Use Ask, or send and handle the reply.
//  2. Messages are shared by pointer between local actors: treat them as
//     immutable once sent.
//  3. Stop jumps the queue; Poison waits behind the queued messages. Close
//     poisons, so queued work is done first.
//  4. A parent hears the Terminated of each of its children whether or not
//     it watches them.
//  5. Iterate maps in sorted order wherever the order is observable
//     (SortedKeys); the determinism test (internal/detguard) enforces this
//     and the other rules on the actor packages.
//  6. A *actor.PID caches the process it first resolved to, in the PID
//     object itself. With two systems in one process (a test with two
//     nodes, a simulation), do not hand one system's PID object to the
//     other: pass PIDs in messages or build them with actor.NewPID.
//  7. protoactor's context logger (ctx.Logger) in a simulation logs to the
//     node's logger; in real mode to the Env's logger.
package actors
