package props

import (
	"context"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/streamactor"
	"github.com/pkg/errors"
	"pgregory.net/rapid"
)

// goodStreamRun returns a passing run of seed (with all cases).
func goodStreamRun(t *testing.T, seed uint64) *StreamRun {
	t.Helper()
	var run *StreamRun
	out := sim.RunScenario(sim.Scenario{Name: "capture", Run: func(w *sim.World) error {
		plan := DrawStreamPlan(DefaultStream, w.Rand("stream/plan"), true)
		for i := range plan.Cases {
			plan.Cases[i].Fault = "" // no faults: every case completes
		}
		var err error
		run, err = RunStreamWorkload(context.Background(), w.MustNode("n"), DefaultStream, plan, w)
		return err
	}}, seed)
	if out.Err != nil {
		t.Fatal(out.Err)
	}
	if err := CheckStreamRun(run); err != nil {
		t.Fatalf("good run rejected: %v", err)
	}
	return run
}

// TestCheckStreamRunCanFail: the checker rejects broken runs, each
// invariant once, so a passing run means something.
func TestCheckStreamRunCanFail(t *testing.T) {
	idx := func(run *StreamRun, k StreamCaseKind) int {
		for i, c := range run.Plan.Cases {
			if c.Kind == k {
				return i
			}
		}
		t.Fatalf("no case %s", k)
		return -1
	}
	breaks := map[string]func(*StreamRun){
		"S1/S2": func(r *StreamRun) {
			i := idx(r, CaseClean)
			r.Consumers[i].Got = append(r.Consumers[i].Got, Extent{Data: []byte("extra")})
		},
		"S14": func(r *StreamRun) {
			i := idx(r, CaseClean)
			r.Producers[i].Finished, r.Producers[i].FinishErr = false, errors.New("x")
		},
		"S17": func(r *StreamRun) { r.Consumers[idx(r, CaseProducerAbort)].EOF = true },
		"S13": func(r *StreamRun) {
			i := idx(r, CaseConsumerAbort)
			r.Producers[i].SendErr, r.Producers[i].FinishErr = nil, errors.New("something else")
		},
		"S30": func(r *StreamRun) { r.StallStats.Queued = r.StallWindow + 1 },
		"S29": func(r *StreamRun) {
			r.AfterCrash = append(Extents{{Data: []byte{1}}}, r.AfterCrash...)
		},
	}
	for _, name := range actors.SortedKeys(breaks) {
		run := goodStreamRun(t, 3)
		breaks[name](run)
		err := CheckStreamRun(run)
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s not detected: %v", name, err)
		}
	}
	// A fault the upload must report, reported as success, is caught.
	run := goodStreamRun(t, 4)
	i := idx(run, CaseUpload)
	run.Plan.Cases[i].Fault = "sync"
	if err := CheckStreamRun(run); err == nil || !strings.Contains(err.Error(), "S14") {
		t.Errorf("a lost sync error not detected: %v", err)
	}
	_ = syscall.EIO
	_ = streamactor.ErrAborted
}

// TestStreamReal: the same workload actors on a real System (pipes only:
// a real System has no simulated files) hold the same invariants.
func TestStreamReal(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		sys := actors.New()
		ctx, cancel := context.WithTimeout(context.Background(), csTimeout)
		plan := DrawStreamPlan(DefaultStream, newRand(seed), false)
		run, err := RunStreamWorkload(ctx, sys, DefaultStream, plan, nil)
		cancel()
		if cerr := sys.Close(context.Background()); cerr != nil {
			t.Fatal(cerr)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckStreamRun(run); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
	}
}

// FuzzCoreMachine runs the core machine on fuzzer input (its seed corpus
// runs with the regular tests). rapid skips an input that runs out before
// the machine has drawn everything, so the seeds are long pseudo-random
// byte strings: short ones would all be skipped and check nothing.
func FuzzCoreMachine(f *testing.F) {
	for i := uint64(1); i <= 4; i++ {
		rng := rand.New(rand.NewPCG(i, 42))
		seed := make([]byte, 1<<16)
		for j := range seed {
			seed[j] = byte(rng.Uint32())
		}
		f.Add(seed)
	}
	f.Fuzz(rapid.MakeFuzz(CheckCoreMachineFuzz))
}
