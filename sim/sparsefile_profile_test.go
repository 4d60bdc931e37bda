package sim_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
)

// TestFileOwnedByCrashedNode: a file tied to a node loses what was written
// since its last Sync when the node crashes, and keeps what was synced.
func TestFileOwnedByCrashedNode(t *testing.T) {
	w := sim.New(1)
	if _, err := w.Boot("disk", func(*actors.System) error { return nil }); err != nil {
		t.Fatal(err)
	}
	f := sim.NewSparseFile(w, "data", sim.FileFaults{})
	f.OwnedBy("disk")
	if _, err := f.WriteAt([]byte("synced"), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("VOLATILE"), 4096); err != nil {
		t.Fatal(err)
	}
	if err := w.Crash("disk"); err != nil {
		t.Fatal(err)
	}
	if !f.Closed() {
		t.Fatal("the crashed node's file is still open")
	}
	f.Reopen()
	if size, _ := f.Size(); size != int64(len("synced")) {
		t.Fatalf("size after the crash %d, want the synced %d", size, len("synced"))
	}
	got := make([]byte, 6)
	if _, err := f.ReadAt(got, 0); err != nil || !bytes.Equal(got, []byte("synced")) {
		t.Fatalf("synced data after the crash: %q, %v", got, err)
	}
	_ = w.Close()
}

// TestFileProfileShortIO: a profile's file section makes reads and writes
// short (traced, through World.Decide), and the stream scenario, whose
// drivers must absorb short counts, still passes.
func TestFileProfileShortIO(t *testing.T) {
	w := sim.New(3, sim.WithProfile(sim.Profile{Name: "files", Devices: map[string]json.RawMessage{"file": json.RawMessage(`{"short_read":0.5,"short_write":0.5}`)}}))
	f := sim.NewSparseFile(w, "f", sim.FileFaults{})
	buf := make([]byte, 8192)
	short := 0
	for i := 0; i < 20; i++ {
		if n, _ := f.WriteAt(buf, 0); n < len(buf) {
			short++
		}
	}
	if short == 0 || len(w.Plan().Faults) != short {
		t.Fatalf("%d short writes, plan has %d faults", short, len(w.Plan().Faults))
	}
}
