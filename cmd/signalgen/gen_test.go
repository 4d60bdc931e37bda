package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actorio/actorio/signalbus/schema"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden: the checked-in generated packages are exactly what the
// generator makes from their schemas (the seed's examples, and a schema
// using everything the notation allows). Both packages are compiled with
// the module, so the golden output is known to build.
func TestGolden(t *testing.T) {
	for _, c := range []struct{ schema, golden, pkg string }{
		{"../../internal/seedapi/seed.qapi", "../../internal/seedapi/seed_gen.go", "seedapi"},
		{"../../internal/seedapi/extras/extras.qapi", "../../internal/seedapi/extras/extras_gen.go", "extras"},
	} {
		src, err := os.ReadFile(c.schema)
		if err != nil {
			t.Fatal(err)
		}
		s, err := schema.Parse(filepath.Base(c.schema), string(src))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Generate(s, string(src), filepath.Base(c.schema), c.pkg)
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile(c.golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(c.golden)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go generate ./internal/seedapi/... (or go test ./cmd/signalgen -update)", c.golden)
		}
	}
}

// TestSeedShapes: the generated code has the proposal's names.
func TestSeedShapes(t *testing.T) {
	code, err := os.ReadFile("../../internal/seedapi/seed_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"type BlockIOEvent struct {\n\tDevice    string `json:\"device\"`",
		"BlockDeviceActionReport BlockDeviceAction = iota",
		"func (s *Signals) BlockDeviceEventSignal(device string, ev BlockDeviceEvent) error",
		"func (s *Signals) BlockDeviceEventConnect(ctx context.Context, device string, slot signalbus.Slot[BlockDeviceEvent], opts ...signalbus.ConnectOption) (signalbus.Handle, error)",
		"func (c *Client) BlockDeviceEventConnect(ctx context.Context, device string, f func(BlockDeviceEvent)) (signalbus.Handle, error)",
		"func (c *Client) BlockDeviceEventDisconnect(ctx context.Context, device string, h signalbus.Handle) error",
		`signalbus.WithAccessor("block-device-event"), signalbus.WithArgInfo(signalbus.ArgInfo{Name: "device", Type: "str", Optional: false})`,
	} {
		if !strings.Contains(string(code), want) {
			t.Errorf("generated code lacks %q", want)
		}
	}
}

// TestRunReportsPositions: a bad schema fails with file:line:col.
func TestRunReportsPositions(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.qapi")
	if err := os.WriteFile(bad, []byte("{ 'AEvent': { 'x': 'str' } }\n[ 'a', {}, {}, 'BEvent' ]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run([]string{"-schema", bad, "-pkg", "p", "-o", filepath.Join(dir, "out.go")})
	if err == nil || !strings.HasPrefix(err.Error(), "bad.qapi:2:16: a: unknown return type \"BEvent\"") {
		t.Fatalf("got %v", err)
	}
	if err := run([]string{"-schema", bad}); err == nil || !strings.Contains(err.Error(), "usage") {
		t.Fatalf("missing flags: %v", err)
	}
	good := filepath.Join(dir, "good.qapi")
	_ = os.WriteFile(good, []byte("{ 'AEvent': { 'x': 'str' } }"), 0o644)
	if err := run([]string{"-schema", good, "-pkg", "p", "-o", filepath.Join(dir, "out.go")}); err != nil {
		t.Fatal(err)
	}
	if out, _ := os.ReadFile(filepath.Join(dir, "out.go")); !bytes.Contains(out, []byte("func (s *Signals) AEventConnect(")) {
		t.Fatalf("output:\n%s", out)
	}
}
