package actors

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestWorkerDispatcher: a burst of activations all run, the pool keeps at
// most maxIdle parked workers, and stop ends every parked one.
func TestWorkerDispatcher(t *testing.T) {
	before := runtime.NumGoroutine()
	d := newWorkerDispatcher()
	const n = 500
	var wg sync.WaitGroup
	wg.Add(n)
	var mu sync.Mutex
	ran := 0
	for i := 0; i < n; i++ {
		d.Schedule(func() {
			mu.Lock()
			ran++
			mu.Unlock()
			wg.Done()
		})
	}
	wg.Wait()
	if ran != n {
		t.Fatalf("%d of %d activations ran", ran, n)
	}
	deadline := time.Now().Add(5 * time.Second)
	for d.idle.Load() > d.maxIdle && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if idle := d.idle.Load(); idle > d.maxIdle {
		t.Fatalf("%d parked workers, at most %d wanted", idle, d.maxIdle)
	}
	// A parked worker takes the next activation.
	done := make(chan struct{})
	d.Schedule(func() { close(done) })
	<-done
	d.stop()
	d.stop() // idempotent
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > before {
		t.Fatalf("%d goroutines after stop, %d before", g, before)
	}
	// After stop an activation still runs, on a worker that then ends.
	late := make(chan struct{})
	d.Schedule(func() { close(late) })
	<-late
}
