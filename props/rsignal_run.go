package props

import (
	"context"
	"fmt"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// RemoteSignal is the remote-signal scenario (see rsignal.go).
func RemoteSignal(cfg RemoteSignalConfig) sim.Scenario {
	return sim.Scenario{
		Name: "remote-signal",
		Description: "signals on node a; remote subscribers on crashing nodes and local ones connect, disconnect, stall; " +
			"after the heal a tail of emissions must reach every surviving connection",
		// A short keepalive, so that long partitions end connections too.
		Options: []sim.Option{sim.WithRemote(sim.RemoteOptions{Keepalive: rsKeepalive})},
		Run: func(w *sim.World) error {
			rep, err := RunRemoteSignal(w, cfg)
			if err != nil {
				return err
			}
			return CheckRemoteSignal(cfg, rep)
		},
	}
}

// RunRemoteSignal runs the workload in w and returns its report.
func RunRemoteSignal(w *sim.World, cfg RemoteSignalConfig) (*RemoteSignalReport, error) {
	if cfg.Subscribers < 1 || cfg.Duration <= 0 || cfg.MaxGap <= 0 || cfg.Churn <= 0 || cfg.QueueSize < 2 || cfg.Tail < 1 {
		return nil, errors.Errorf("remote-signal: bad config %+v", cfg)
	}
	rep := &RemoteSignalReport{
		Emits:    &SignalReport{Last: map[string]int{}, EmitIndex: map[int]int{}},
		Witness:  map[string][]Seen{},
		WitnessH: map[string]signalbus.Handle{},
		Conns:    map[string]*RemoteConn{},
		Inc:      map[string]int{},
		Epochs:   map[string][]uint64{},
		Tail:     map[string][]int{},
		Signals:  map[string]map[signalbus.Handle]bool{},
	}
	sysA, err := w.Node("a")
	if err != nil {
		return nil, err
	}
	until := sysA.Now().Add(cfg.Duration)
	busA := signalbus.New(sysA)
	sigs, err := NewSigSignals(busA)
	if err != nil {
		return nil, err
	}
	for i := 0; i < 2; i++ {
		if err := witness(rep, sysA, sigs.Of(i)); err != nil {
			return nil, err
		}
	}
	srv, err := signalbus.Serve(busA, signalbus.OnPeerLoss(func(l signalbus.PeerLoss) { rep.Losses = append(rep.Losses, l) }))
	if err != nil {
		return nil, err
	}
	if _, err := sysA.SpawnNamed(actor.PropsFromProducer(func() actor.Actor {
		return &rsDirector{node: "a", inc: 1, cfg: cfg, rep: rep, bus: busA, local: sigs, until: until}
	}), "director"); err != nil {
		return nil, err
	}
	rep.Inc["a"] = 1
	for i := 0; i < 2; i++ {
		e := &emitter{id: i, cfg: SignalConfig{Duration: cfg.Duration, MaxGap: cfg.MaxGap}, sigs: sigs, rep: rep.Emits}
		if _, err := sysA.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return e }), fmt.Sprintf("emitter%d", i)); err != nil {
			return nil, err
		}
	}
	for i := 1; i <= cfg.Subscribers; i++ {
		name := fmt.Sprintf("b%d", i)
		if _, err := w.Boot(name, subscriberBoot(name, cfg, rep, until)); err != nil {
			return nil, err
		}
	}
	w.OnCrash(func(node string) {
		if rep.Finished {
			return // the run is over: the report stays as it was checked
		}
		for _, k := range actors.SortedKeys(rep.Conns) {
			if c := rep.Conns[k]; c.Node == node && c.Inc == rep.Inc[node] && c.Open {
				c.Open, c.Crashed = false, true
			}
		}
	})

	// The scenario's own cut (rsignal_cut.go), during the churn.
	rep.Cut = planCut(w, cfg)
	rep.Cut.arm(w)

	// The churn, then the heal (or, without faults, the churn's end),
	// then time for what the faults left to settle: crashed nodes'
	// connections removed, lost connections noticed and made again.
	end := cfg.Duration + 200*time.Millisecond
	if err := runUntilDone(w, "remote-signal churn", func() bool {
		return w.Now() >= end && (w.Healed() || w.Profile().FaultTime == 0)
	}); err != nil {
		return nil, err
	}
	if rep.Cut != nil && rep.Cut.err != nil {
		return nil, rep.Cut.err
	}
	if _, err := w.Run(w.For(cfg.Settle)); err != nil {
		return nil, err
	}
	// The tail: every surviving connection must get all of it (the
	// throttled signal: the last emission of each key).
	rep.TailFrom = rep.Emits.Emitted
	id := 9_000_000
	for n := 0; n < cfg.Tail; n++ {
		for sig := 0; sig < 2; sig++ {
			for _, dev := range []string{"a", "b"} {
				id++
				if err := sigs.Of(sig).Emit(SigEvent{Dev: dev, Action: "report", ID: id}, dev); err != nil {
					return nil, err
				}
				rep.Emits.Emitted++
				rep.Emits.EmitIndex[id] = rep.Emits.Emitted
				key := fmt.Sprintf("%d/%s", sig, dev)
				rep.Emits.Last[key] = id
				rep.Tail[key] = append(rep.Tail[key], id)
			}
		}
		if _, err := w.Run(w.For(100 * time.Millisecond)); err != nil {
			return nil, err
		}
	}
	if err := runUntilDone(w, "remote-signal tail", func() bool { return len(tailMissing(rep)) == 0 }); err != nil {
		return nil, errors.Wrapf(err, "RS4: %v", tailMissing(rep))
	}
	ctx := context.Background()
	if rep.Server, err = srv.Stats(ctx); err != nil {
		return nil, err
	}
	for i := 0; i < 2; i++ {
		st, err := sigs.Of(i).Stats(ctx)
		if err != nil {
			return nil, err
		}
		hs := map[signalbus.Handle]bool{}
		for _, h := range actors.SortedKeys(st.Conns) {
			hs[h] = true
		}
		rep.Signals[simSignals[i].Name] = hs
	}
	rep.Finished = true
	return rep, nil
}

// subscriberBoot starts a subscriber node's bus, remote signals and
// director (again at each restart).
func subscriberBoot(name string, cfg RemoteSignalConfig, rep *RemoteSignalReport, until time.Time) func(*actors.System) error {
	return func(sys *actors.System) error {
		rep.Inc[name]++
		bus := signalbus.New(sys)
		epoch, err := bus.RemoteEpoch()
		if err != nil {
			return err
		}
		rep.Epochs[name] = append(rep.Epochs[name], epoch)
		d := &rsDirector{node: name, inc: rep.Inc[name], cfg: cfg, rep: rep, bus: bus, until: until}
		for i := 0; i < 2; i++ {
			r, err := signalbus.Remote[SigEvent](bus, "a", simSignals[i].Name)
			if err != nil {
				return err
			}
			d.remote[i] = r
		}
		_, err = sys.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return d }), "director")
		return err
	}
}

// witness connects a slot with room for every event to sig, recording
// each fan-out.
func witness(rep *RemoteSignalReport, sys *actors.System, sig *signalbus.Signal[SigEvent]) error {
	name := sig.Info().Name
	h, err := sig.Connect(context.Background(), signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[SigEvent]) {
		rep.Witness[name] = append(rep.Witness[name], Seen{ID: ev.Value.ID, Dropped: ev.Dropped, Tag: ev.Tag, Seq: ev.Seq,
			Emitted: ev.Time, At: sys.Now(), Dev: ev.Value.Dev, Action: ev.Value.Action, Signal: name})
	}), signalbus.Queue(1<<20, signalbus.DropOldest))
	rep.WitnessH[name] = h
	return err
}

// survivors returns the connections that must get the tail: open at the
// end, on the node's current incarnation, made before the tail.
func survivors(rep *RemoteSignalReport) []*RemoteConn {
	var out []*RemoteConn
	for _, k := range actors.SortedKeys(rep.Conns) {
		c := rep.Conns[k]
		if c.Open && c.Inc == rep.Inc[c.Node] && c.Watermark <= rep.TailFrom {
			out = append(out, c)
		}
	}
	return out
}

// tailMissing lists what the survivors, and the witness, have not
// received of the tail yet: every emission of the plain signal, the last
// of each key of the throttled one. (The witness has then recorded every
// fan-out: its deliveries come in order, and the last of the tail are the
// last fan-outs.)
func tailMissing(rep *RemoteSignalReport) []string {
	var out []string
	lacks := func(key string, sig int, filter string, seen []Seen) {
		got := map[int]bool{}
		for _, s := range seen {
			got[s.ID] = true
		}
		for _, dev := range []string{"a", "b"} {
			if filter != "" && filter != dev {
				continue
			}
			ids := rep.Tail[fmt.Sprintf("%d/%s", sig, dev)]
			if sig == 1 {
				ids = ids[len(ids)-1:]
			}
			for _, id := range ids {
				if !got[id] {
					out = append(out, fmt.Sprintf("%s lacks %d", key, id))
				}
			}
		}
	}
	for _, c := range survivors(rep) {
		lacks(c.Key, c.Signal, c.Filter, c.Rec.Got[string(c.Handle)])
	}
	for sig, info := range simSignals {
		lacks("witness of "+info.Name, sig, "", rep.Witness[info.Name])
	}
	return out
}
