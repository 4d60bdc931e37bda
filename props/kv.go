package props

import (
	"fmt"
	"slices"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/asynkron/protoactor-go/actor"
	"github.com/pkg/errors"
)

// The durable-kv workload: a client on one node puts keys into a server on
// another, which may crash (its node is booted, so crash faults restart
// it). The server buffers puts and syncs them to its disk (which survives
// crashes) every SyncEvery; it acknowledges a put only once it is synced.
// The client retries a put until acknowledged, pausing Pause between puts;
// after the heal it reads every acknowledged key back.
// The planted bug (the "lost-ack" canary) acknowledges before syncing, so
// a crash between the ack and the sync loses an acknowledged key.

// KVConfig sizes the workload.
type KVConfig struct {
	Keys      int
	SyncEvery time.Duration
	Timeout   time.Duration // the client's per-attempt timeout
	Pause     time.Duration // between puts
	Bug       bool
}

// DefaultKV is the configuration of the durable-kv scenario.
var DefaultKV = KVConfig{Keys: 20, SyncEvery: 5 * time.Millisecond, Timeout: 50 * time.Millisecond, Pause: 3 * time.Millisecond}

type (
	kvPut struct{ key string }
	kvAck struct{ key string }
	kvGet struct{ key string }
	kvGot struct {
		key   string
		found bool
	}
	kvSync   struct{}
	kvNext   struct{}
	kvVerify struct{}
	kvDisk   map[string]bool // survives crashes: lives outside the actors
	kvReport struct {
		putsDone bool
		done     bool
		acked    []string
		missing  []string
		retries  int
	}
)

type kvServer struct {
	cfg     KVConfig
	disk    kvDisk
	pending []string     // puts not yet on disk
	waiting []*actor.PID // who to ack after the sync (correct mode)
	keys    []string
	timer   bool
}

func (s *kvServer) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *kvPut:
		s.pending = append(s.pending, m.key)
		if s.cfg.Bug {
			c.Respond(&kvAck{key: m.key}) // planted: acknowledged before it is durable
		} else {
			s.waiting = append(s.waiting, c.Sender())
			s.keys = append(s.keys, m.key)
		}
		if !s.timer {
			s.timer = true
			actors.After(c, s.cfg.SyncEvery, &kvSync{})
		}
	case *kvSync:
		s.timer = false
		for _, k := range s.pending {
			s.disk[k] = true
		}
		s.pending = nil
		for i, to := range s.waiting {
			c.Send(to, &kvAck{key: s.keys[i]})
		}
		s.waiting, s.keys = nil, nil
	case *kvGet:
		// Reads see unsynced puts too (read your writes): only a crash
		// can lose an acknowledged key.
		c.Respond(&kvGot{key: m.key, found: s.disk[m.key] || slices.Contains(s.pending, m.key)})
	}
}

type kvClient struct {
	cfg    KVConfig
	rep    *kvReport
	server *actor.PID
	next   int
	check  int
}

func (k *kvClient) Receive(c actor.Context) {
	switch c.Message().(type) {
	case *actor.Started, *kvNext:
		k.put(c)
	case *kvVerify:
		k.get(c)
	}
}

func (k *kvClient) put(c actor.Context) {
	if k.next == k.cfg.Keys {
		k.rep.putsDone = true
		return
	}
	key := fmt.Sprintf("k%03d", k.next)
	actors.Ask(c, k.server, &kvPut{key: key}, k.cfg.Timeout, func(reply any, err error) {
		if ack, ok := reply.(*kvAck); ok && err == nil && ack.key == key {
			k.rep.acked = append(k.rep.acked, key)
			k.next++
			actors.After(c, k.cfg.Pause, &kvNext{})
			return
		}
		k.rep.retries++
		k.put(c)
	})
}

func (k *kvClient) get(c actor.Context) {
	if k.check == len(k.rep.acked) {
		k.rep.done = true
		return
	}
	key := k.rep.acked[k.check]
	actors.Ask(c, k.server, &kvGet{key: key}, k.cfg.Timeout, func(reply any, err error) {
		got, ok := reply.(*kvGot)
		if !ok || err != nil {
			k.get(c) // the server is down: ask again
			return
		}
		if !got.found {
			k.rep.missing = append(k.rep.missing, key)
		}
		k.check++
		k.get(c)
	})
}

// KV is the durable-kv scenario (correct, or the canary with cfg.Bug).
func KV(cfg KVConfig) sim.Scenario {
	name := "durable-kv"
	if cfg.Bug {
		name = "canary-lost-ack"
	}
	return sim.Scenario{
		Name:        name,
		Description: "a client puts keys into a crashing server that acks only what it synced; every acked key must survive",
		Options:     []sim.Option{sim.WithRemote(sim.RemoteOptions{Loose: true})},
		Run: func(w *sim.World) error {
			disk := kvDisk{}
			_, err := w.Boot("server", func(sys *actors.System) error {
				_, err := sys.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &kvServer{cfg: cfg, disk: disk} }), "kv")
				return err
			}, actors.WithName("server"))
			if err != nil {
				return err
			}
			client, err := w.Node("client")
			if err != nil {
				return err
			}
			rep := &kvReport{}
			server := actor.NewPID("server", "kv")
			pid, err := client.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &kvClient{cfg: cfg, rep: rep, server: server} }), "client")
			if err != nil {
				return err
			}
			if err := runUntilDone(w, "durable-kv puts", func() bool { return rep.putsDone }); err != nil {
				return err
			}
			// Read back once the faults are over: what was acknowledged
			// must have survived every crash.
			if err := runUntilDone(w, "durable-kv heal", func() bool { return w.Healed() || w.Profile().FaultTime == 0 }); err != nil {
				return err
			}
			client.Send(pid, &kvVerify{})
			if err := runUntilDone(w, "durable-kv verify", func() bool { return rep.done }); err != nil {
				return err
			}
			// K1: every acknowledged key is on the server's disk.
			if len(rep.missing) > 0 {
				return errors.Errorf("K1: %d acknowledged keys lost: %v", len(rep.missing), rep.missing)
			}
			// K2: every key was eventually acknowledged (liveness).
			if len(rep.acked) != cfg.Keys {
				return errors.Errorf("K2: %d of %d keys acknowledged", len(rep.acked), cfg.Keys)
			}
			return nil
		},
	}
}
