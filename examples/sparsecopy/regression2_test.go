package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestRemoteClientInterrupted: SIGINT in the middle of a download stops
// it: the client exits 1 saying it was interrupted, and neither DST nor
// its temporary file is left.
//
// Found in review: the client caught SIGINT and SIGTERM (to cancel its
// context) but the transfer itself did not watch that context, so Ctrl-C
// was swallowed and the download ran on to the end and exited 0.
func TestRemoteClientInterrupted(t *testing.T) {
	dir, local := t.TempDir(), t.TempDir()
	makeDense(t, filepath.Join(dir, "served.img"), 512<<20)
	_, addr := server(t, dir, "127.0.0.1:0")

	dst := filepath.Join(local, "dst.img")
	client := startProc(t, addr+":served.img", dst)
	progress(t, local, ".dst.img.sparsecopy-*.tmp", 4<<20, client)
	if err := client.Process().Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := client.wait(t); code != 1 || !strings.Contains(client.stderr(), "interrupt") {
		t.Fatalf("the interrupted download exited %d, want 1 saying it was interrupted:\n%s", code, client.stderr())
	}
	if got := files(t, local); len(got) != 0 {
		t.Fatalf("an interrupted download left %v", got)
	}
	if got := files(t, dir); !reflect.DeepEqual(got, []string{"served.img"}) {
		t.Fatalf("the server's directory holds %v", got)
	}
}
