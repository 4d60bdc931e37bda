package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/qmp"
	"github.com/actorio/actorio/signalbus/schema"
	"github.com/actorio/actorio/sim"
)

// TestRegressionQMPReservedArgNamesRefused: a schema whose accessor
// arguments cannot work over QMP (an argument named tag, which
// <accessor>-disconnect takes beside them; an argument named like a
// member of its event, which the event's data holds in the same object)
// is refused as a schema error at the argument (exit 1, file:line:col),
// and nothing is written.
//
// Found in review: signalgen generated code for such a schema, and
// qmp.NewServer then refused the bus its NewSignals made.
func TestRegressionQMPReservedArgNamesRefused(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, src, want string }{
		{"tag.qapi", "{ 'AEvent': { 'x': 'str' } }\n[ 'a', { 'tag': 'str' }, {}, 'AEvent' ]\n", "tag.qapi:2:10: "},
		{"clash.qapi", "{ 'AEvent': { 'device': 'str' } }\n[ 'a', { 'device': 'str' }, {}, 'AEvent' ]\n", "clash.qapi:2:10: "},
	} {
		in, out := filepath.Join(dir, c.name), filepath.Join(dir, c.name+".go")
		if err := os.WriteFile(in, []byte(c.src), 0o644); err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		code := runMain([]string{"-schema", in, "-pkg", "p", "-o", out}, &stderr)
		if code != 1 || !strings.HasPrefix(stderr.String(), "signalgen: "+c.want) || !strings.Contains(stderr.String(), "over QMP") {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant exit 1 and %q, saying why QMP cannot take it", c.name, code, stderr.String(), c.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: the output exists (%v)", c.name, err)
		}
	}
}

// TestRegressionMemberDeclaredTwiceRefusedAtParse: a member or argument
// declared twice, once required and once optional ('x' and '*x'), is a
// schema error (exit 1, file:line:col of the second, naming the first),
// and nothing is written.
//
// Found in review: the schema accepted it, and signalgen refused it with
// its own message, as qmp.NewServer did the accessor's signal with
// another: the schema now refuses it for all three.
func TestRegressionMemberDeclaredTwiceRefusedAtParse(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, src, want string }{
		{"type.qapi", "{ 'T': { 'x': 'str', '*x': 'int' } }\n", "type.qapi:1:22: T: member 'x' is declared twice (first at 1:10)"},
		{"acc.qapi", "{ 'AEvent': {} }\n[ 'a', { 'd': 'str', '*d': 'str' }, {}, 'AEvent' ]\n", "acc.qapi:2:22: a: member 'd' is declared twice (first at 2:10)"},
	} {
		in, out := filepath.Join(dir, c.name), filepath.Join(dir, c.name+".go")
		if err := os.WriteFile(in, []byte(c.src), 0o644); err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		code := runMain([]string{"-schema", in, "-pkg", "p", "-o", out}, &stderr)
		if code != 1 || !strings.HasPrefix(stderr.String(), "signalgen: "+c.want) {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant exit 1 and %q", c.name, code, stderr.String(), c.want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: the output exists (%v)", c.name, err)
		}
	}
}

// TestRegressionGeneratedSchemasServe: every random schema signalgen
// generates code for is one a QMP server serves: a bus with its signals
// registered as NewSignals registers them (name, accessor, arguments)
// is accepted by qmp.NewServer with the schema. The non-plain schemas
// draw accessor arguments named tag, or like a member of their event.
//
// Found in review: such schemas parsed and generated, and NewServer
// refused them.
func TestRegressionGeneratedSchemasServe(t *testing.T) {
	served := 0
	for _, c := range randomCases() {
		code, _ := generateRandom(t, c)
		if code == nil {
			continue
		}
		s, err := schema.Parse("r.qapi", c.src)
		if err != nil {
			t.Fatal(err)
		}
		n, err := resolve(s, "r.qapi")
		if err != nil {
			t.Fatal(err)
		}
		w := sim.New(uint64(c.seed))
		bus := signalbus.New(w.MustNode("n"))
		for _, ev := range s.Events() {
			opts := []signalbus.SignalOption{signalbus.WithAccessor(n.accName[ev])}
			if acc := s.AccessorFor(ev.Name); acc != nil {
				var args []signalbus.ArgInfo
				for _, a := range acc.Args {
					args = append(args, signalbus.ArgInfo{Name: a.Name, Type: a.Type, Optional: a.Optional})
				}
				opts = append(opts, signalbus.WithArgInfo(args...))
			}
			if _, err := signalbus.NewSignal[struct{}](bus, ev.Name, opts...); err != nil {
				t.Errorf("%s: signal %s: %v\n%s", c, ev.Name, err, c.src)
			}
		}
		if _, err := qmp.NewServer(bus, s); err != nil {
			t.Errorf("%s: signalgen generates it, qmp.NewServer refuses it: %v\n%s", c, err, c.src)
		} else {
			served++
		}
		bus.Close()
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if served == 0 {
		t.Fatal("no random schema was served")
	}
	t.Logf("%d random schemas served", served)
}
