package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/internal/seedapi"
	"github.com/actorio/actorio/signalbus/qmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestQMPServerExample drives the example as its doc comment says: a
// typed client connects to a device, injects events, and gets only its
// device's, tagged.
func TestQMPServerExample(t *testing.T) {
	sock := startExample(t)
	cctx, ccancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer ccancel()
	qc, err := qmp.Dial(cctx, "unix", sock, qmp.WithoutDefaults())
	if err != nil {
		t.Fatal(err)
	}
	defer qc.Close()
	c := seedapi.NewClient(qc)
	got := make(chan seedapi.BlockDeviceEvent, 4)
	if _, err := c.BlockDeviceEventConnect(cctx, "virtio0", func(ev seedapi.BlockDeviceEvent) { got <- ev }); err != nil {
		t.Fatal(err)
	}
	for _, dev := range []string{"virtio1", "virtio0"} {
		err := qc.Execute(cctx, "inject-block-device-event", map[string]any{"device": dev, "action": "stop", "operation": "write", "reason": "nospc"}, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	select {
	case ev := <-got:
		if ev.Action != seedapi.BlockDeviceActionStop || ev.Reason != seedapi.BlockDeviceActionReasonNospc {
			t.Fatalf("got %+v", ev)
		}
	case <-cctx.Done():
		t.Fatal("no event")
	}
	if len(got) != 0 {
		t.Fatalf("got another device's event: %+v", <-got)
	}
	err = qc.Execute(cctx, "inject-block-device-event", map[string]any{"device": "virtio0", "action": "explode", "operation": "write", "reason": "nospc"}, nil)
	if err == nil || !strings.Contains(err.Error(), "does not accept value 'explode'") {
		t.Fatalf("bad enum: %v", err)
	}
}

// TestQMPServerWithSocat: the socat session of the doc comment, when socat
// is installed (make test installs it; CI requires it).
func TestQMPServerWithSocat(t *testing.T) {
	bin, err := exec.LookPath("socat")
	if err != nil {
		if strings.TrimSpace(getenv("CI")) != "" {
			t.Fatal("socat not installed; CI must have it")
		}
		t.Skip("socat not installed")
	}
	sock := startExample(t)
	in := strings.Join([]string{
		`{"execute": "disconnect-default-signals"}`,
		`{"execute": "qmp_capabilities"}`,
		`{"execute": "block-device-event-connect", "arguments": {"device": "virtio0"}}`,
		`{"execute": "inject-block-device-event", "arguments": {"device": "virtio0", "action": "stop", "operation": "write", "reason": "nospc"}}`,
	}, "\n") + "\n"
	cmd := exec.Command(bin, "-t", "2", "-", "UNIX-CONNECT:"+sock)
	cmd.Stdin = strings.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\r\n")
	if len(lines) != 6 || !strings.Contains(lines[4], `"event": "BLOCK_DEVICE_EVENT", "data": {"device": "virtio0", "action": "stop", "operation": "write", "reason": "nospc"}, "tag": "c`) || lines[5] != `{"return": {}}` {
		t.Fatalf("socat transcript:\n%s", out)
	}
}

func getenv(k string) string { return lookupEnv(k) }

// startExample runs the example server on a fresh socket until the test
// ends.
func startExample(t *testing.T) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "qmp.sock")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, sock, "", func(a string) { ready <- a }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		done <- nil // for the cleanup, which reads it
		t.Fatalf("the example did not start: %v", err)
	}
	return sock
}
