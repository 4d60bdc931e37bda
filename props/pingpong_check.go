package props

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/pkg/errors"
)

// Pingpong is the pingpong scenario: the workload of NewReferee on one
// simulated node, checked by CheckPingpong with exact virtual times.
func Pingpong(cfg PingpongConfig) sim.Scenario {
	return sim.Scenario{
		Name:        "pingpong",
		Description: "players pass balls with random delays; an ask that answers, one that times out, a supervised crash, a watched poison, a ticker",
		Run: func(w *sim.World) error {
			sys, err := w.Node("n1")
			if err != nil {
				return err
			}
			rep := &PingpongReport{}
			if err := RunPingpong(context.Background(), sys, cfg, rep); err != nil {
				return err
			}
			return CheckPingpong(cfg, rep, true)
		},
	}
}

// RunPingpong spawns the referee on sys and waits until its report is
// final. In a simulation the wait runs the World.
func RunPingpong(ctx context.Context, sys *actors.System, cfg PingpongConfig, rep *PingpongReport) error {
	if cfg.Players < 2 || cfg.Balls < 1 || cfg.Hops < 0 || cfg.MaxDelay < 0 || cfg.AskLimit <= 0 || cfg.Tick <= 0 {
		return errors.Errorf("pingpong: bad config %+v", cfg)
	}
	ref, err := sys.SpawnNamed(NewReferee(cfg, rep), "referee")
	if err != nil {
		return err
	}
	reply, err := sys.Request(ctx, ref, &awaitReport{})
	if err != nil {
		return errors.Wrap(err, "pingpong: waiting for the referee")
	}
	if _, ok := reply.(*reportReady); !ok {
		return errors.Errorf("pingpong: referee answered %T", reply)
	}
	return nil
}

// CheckPingpong checks the pingpong invariants on a final report. With
// virtual set, times must be exact (simulation); otherwise they must only
// be no earlier than due (real clocks run late, never early).
//
//	P1 every ball finishes exactly once, after exactly Hops+1 deliveries
//	P2 each sender's balls reach each player in the order sent (FIFO per link)
//	P3 the answered ask gets the echo's reply and no error
//	P4 the unanswered ask fails with ErrTimeout at its deadline
//	P5 the crasher fails once, is restarted once, and its new incarnation
//	   starts from a clean state
//	P6 the watched victim's Terminated arrives exactly once, about it
//	P7 the k-th tick comes at k periods (virtual), or no earlier (real)
func CheckPingpong(cfg PingpongConfig, rep *PingpongReport, virtual bool) error {
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if !rep.Finished {
		fail("report not final")
	}
	for id := 0; id < cfg.Balls; id++ {
		if n := rep.BallsDone[id]; n != 1 {
			fail("P1: ball %d finished %d times", id, n)
		}
		if d := rep.Deliveries[id]; d != cfg.Hops+1 {
			fail("P1: ball %d delivered %d times, want %d", id, d, cfg.Hops+1)
		}
	}
	if len(rep.BallsDone) != cfg.Balls {
		fail("P1: %d balls finished, %d served", len(rep.BallsDone), cfg.Balls)
	}
	for _, e := range rep.OrderErrors {
		fail("P2: %s", e)
	}
	if pong, ok := rep.EchoReply.(*echoPong); rep.EchoErr != nil || !ok || pong.n != echoProbe {
		fail("P3: echo ask got %#v, %v", rep.EchoReply, rep.EchoErr)
	}
	switch {
	case !errors.Is(rep.SinkErr, actors.ErrTimeout):
		fail("P4: sink ask failed with %v, want a timeout", rep.SinkErr)
	case virtual && rep.SinkAt != cfg.AskLimit:
		fail("P4: sink ask timed out at %v, want exactly %v", rep.SinkAt, cfg.AskLimit)
	case rep.SinkAt < cfg.AskLimit:
		fail("P4: sink ask timed out early, at %v < %v", rep.SinkAt, cfg.AskLimit)
	}
	if rep.CrasherStarts != 2 || rep.CrasherCount != 1 {
		fail("P5: crasher started %d times, counted %d after restart; want 2 and 1", rep.CrasherStarts, rep.CrasherCount)
	}
	if rep.Stats.Restarts != 1 || rep.Stats.Failures != 1 {
		fail("P5: stats %+v, want exactly one failure and one restart", rep.Stats)
	}
	if rep.VictimGone != 1 || rep.TerminatedWho != rep.VictimID {
		fail("P6: victim %s: %d Terminated, last about %q", rep.VictimID, rep.VictimGone, rep.TerminatedWho)
	}
	for k, at := range rep.Ticks {
		due := time.Duration(k+1) * cfg.Tick
		if (virtual && at != due) || at < due {
			fail("P7: tick %d at %v, due %v", k+1, at, due)
		}
	}
	if len(errs) > 0 {
		return errors.New("pingpong: " + strings.Join(errs, "; "))
	}
	return nil
}
