package sim

import (
	"sort"
	"testing"
	"time"

	"github.com/actorio/actorio/internal/fifo"
	"pgregory.net/rapid"
)

// TestClockHeapProperty: under any mix of AfterFunc, Stop and firing, the
// timers fire in (when, creation) order, stopped timers never fire, and
// Stop reports truthfully. The model is a plain list.
func TestClockHeapProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		w := New(1)
		type model struct {
			when time.Duration
			seq  int
			live bool
		}
		var ms []*model
		var handles []*vtimer
		var fired []int
		seq := 0
		for step := rapid.IntRange(1, 200).Draw(rt, "steps"); step > 0; step-- {
			switch rapid.IntRange(0, 2).Draw(rt, "op") {
			case 0:
				d := time.Duration(rapid.IntRange(-5, 50).Draw(rt, "d"))
				seq++
				id := seq
				m := &model{when: w.clock.now + max(d, 0), seq: id, live: true}
				ms = append(ms, m)
				handles = append(handles, w.clock.AfterFunc(d, func() { fired = append(fired, id) }).(*vtimer))
			case 1:
				if len(ms) == 0 {
					continue
				}
				i := rapid.IntRange(0, len(ms)-1).Draw(rt, "stop")
				if got := handles[i].Stop(); got != ms[i].live {
					rt.Fatalf("Stop of timer %d = %v, model says live=%v", ms[i].seq, got, ms[i].live)
				}
				ms[i].live = false
			case 2:
				if _, ok := w.clock.next(); !ok {
					continue
				}
				tm := w.clock.pop()
				w.clock.set(tm.when)
				tm.f()
				var want *model
				for _, m := range ms {
					if m.live && (want == nil || m.when < want.when || (m.when == want.when && m.seq < want.seq)) {
						want = m
					}
				}
				if want == nil || fired[len(fired)-1] != want.seq {
					rt.Fatalf("fired %v, model wanted %+v", fired, want)
				}
				want.live = false
			}
		}
		live := 0
		for _, m := range ms {
			if m.live {
				live++
			}
		}
		if live != len(w.clock.timers) {
			rt.Fatalf("heap holds %d timers, model %d", len(w.clock.timers), live)
		}
	})
}

// TestRingProperty: the mailbox queue is a FIFO under any push/pop mix.
func TestRingProperty(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		var r fifo.Queue[slot]
		var model []int
		next := 0
		for _, push := range rapid.SliceOf(rapid.Bool()).Draw(rt, "ops") {
			if push || len(model) == 0 {
				r.Push(slot{next, uint64(next)})
				model = append(model, next)
				next++
				continue
			}
			s := r.Pop()
			got, id := s.msg, s.id
			if got.(int) != model[0] || id != uint64(model[0]) {
				rt.Fatalf("pop = %v #%d, want %d", got, id, model[0])
			}
			model = model[1:]
			if r.Len() != len(model) {
				rt.Fatalf("len %d, want %d", r.Len(), len(model))
			}
		}
	})
}

// TestRandStreamsIndependent: a stream's draws depend only on (seed, name):
// creating and drawing from other streams changes nothing.
func TestRandStreamsIndependent(t *testing.T) {
	draws := func(w *World, name string) []uint64 {
		r := w.Rand(name)
		out := make([]uint64, 8)
		for i := range out {
			out[i] = r.Uint64()
		}
		return out
	}
	alone := draws(New(9), "faults/net")
	w := New(9)
	draws(w, "sched")
	draws(w, "faults/disk")
	crowded := draws(w, "faults/net")
	for i := range alone {
		if alone[i] != crowded[i] {
			t.Fatal("a stream's draws changed when other streams were used")
		}
	}
	if draws(New(10), "faults/net")[0] == alone[0] {
		t.Fatal("different seeds gave the same stream")
	}
	if first, again := w.Rand("sched"), w.Rand("sched"); first != again {
		t.Fatal("the same name gave a new stream")
	}
	a, b := draws(New(9), "x"), draws(New(9), "y")
	sort.Slice(a, func(i, j int) bool { return a[i] < a[j] })
	if a[0] == b[0] && a[1] == b[1] {
		t.Fatal("different names gave the same stream")
	}
}
