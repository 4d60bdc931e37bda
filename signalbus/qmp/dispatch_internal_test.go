package qmp

import "testing"

// TestDispatchDeliversEventsQueuedBeforeDisconnect: an event the server
// sent just before it hung up (QEMU's SHUTDOWN, then exit) reaches its
// handler. The dispatcher is started with the event queued, its wake-up
// pending and the connection already gone, so both of its select cases
// are ready at once.
//
// Found in review: dispatch returned on the connection's end whenever
// select chose that case over the pending wake-up (about half the time
// here), dropping the event.
func TestDispatchDeliversEventsQueuedBeforeDisconnect(t *testing.T) {
	for i := 0; i < 200; i++ {
		var got []string
		c := &Client{
			handlers:     map[string]func(Event){"": func(ev Event) { got = append(got, ev.Event) }},
			wake:         make(chan struct{}, 1),
			done:         make(chan struct{}),
			executorDone: make(chan struct{}),
		}
		c.queue = []Event{{Event: "SHUTDOWN"}}
		c.wake <- struct{}{}
		close(c.done)
		c.dispatch()
		if len(got) != 1 {
			t.Fatalf("run %d: handled %v, want the SHUTDOWN queued before the disconnect", i, got)
		}
	}
}
