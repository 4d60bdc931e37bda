package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/actorio/actorio/signalbus/schema"
)

// batchPkg is one schema generated as its own package of a batch.
type batchPkg struct {
	label string // names the package in failures (the test case, the seed)
	src   string
	// extra are more Go files of the package, by name, starting "package
	// p" (renamed). Their code may call reg.Add(pkg, what, func() error)
	// to run a check in the batch's main (import reg as "REG": the
	// batch's path).
	extra map[string]string
	// noCheck leaves out the generic run-time checks.
	noCheck bool
}

// runBatch generates every schema of pkgs into its own package of one
// scratch directory inside the module (named with a leading _, so ./...
// does not see it), with the generic run-time checks of each (checkFile),
// and builds and runs a main importing them all: every package compiles
// in one go build, linked once (a go build costs seconds a package here:
// prefer typecheck for what only needs to compile). A package
// that does not build, or a check that fails, fails t.
func runBatch(t *testing.T, pkgs []batchPkg) {
	t.Helper()
	if len(pkgs) == 0 {
		return
	}
	dir, err := os.MkdirTemp(".", "_batch-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	base := "github.com/actorio/actorio/cmd/signalgen/" + filepath.Base(dir)
	write := func(path, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "reg", "reg.go"), regSource)
	var imports []string
	for i, p := range pkgs {
		name := fmt.Sprintf("p%d", i)
		s, err := schema.Parse("r.qapi", p.src)
		if err != nil {
			t.Fatalf("%s: %v", p.label, err)
		}
		code, err := Generate(s, p.src, "r.qapi", name)
		if err != nil {
			t.Fatalf("%s: %v\nschema:\n%s", p.label, err, p.src)
		}
		write(filepath.Join(dir, name, "gen.go"), string(code))
		if !p.noCheck {
			n, _ := resolve(s, "r.qapi")
			write(filepath.Join(dir, name, "zz_check.go"), checkFile(name, base+"/reg", p.label, s, n))
		}
		for f, text := range p.extra {
			text = strings.Replace(text, "package p\n", "package "+name+"\n", 1)
			write(filepath.Join(dir, name, f), strings.ReplaceAll(text, "REG", base+"/reg"))
		}
		imports = append(imports, fmt.Sprintf("_ %q", base+"/"+name))
	}
	write(filepath.Join(dir, "main", "main.go"), fmt.Sprintf(`package main

import (
	"fmt"
	"os"

	reg %q
	%s
)

func main() {
	failed := 0
	for _, c := range reg.Checks {
		if err := c.F(); err != nil {
			fmt.Printf("%%s: %%s: %%v\n", c.Pkg, c.What, err)
			failed++
		}
	}
	fmt.Printf("%%d checks, %%d failed\n", len(reg.Checks), failed)
	if failed > 0 {
		os.Exit(1)
	}
}
`, base+"/reg", strings.Join(imports, "\n\t")))
	bin := filepath.Join(t.TempDir(), "batch")
	out, err := exec.Command("go", "build", "-o", bin, "./"+filepath.Join(filepath.Base(dir), "main")).CombinedOutput()
	if err == nil {
		out, err = exec.Command(bin).CombinedOutput()
	}
	if err != nil {
		t.Fatalf("batch of %d schemas: %v\n%s\n%s", len(pkgs), err, out, labels(pkgs, string(out)))
	}
	t.Logf("batch of %d schemas: %s", len(pkgs), bytes.TrimSpace(out))
}

// labels names the packages a go run output mentions (pN/...: errors).
func labels(pkgs []batchPkg, out string) string {
	var b strings.Builder
	for i, p := range pkgs {
		if strings.Contains(out, fmt.Sprintf("p%d/", i)) || strings.Contains(out, fmt.Sprintf("p%d:", i)) {
			fmt.Fprintf(&b, "p%d is %s:\n%s\n", i, p.label, p.src)
		}
	}
	return b.String()
}

// checkFile registers package name's generic checks: the schema source
// parses; NewSignals registers every event on a bus, which qmp.NewServer
// then serves with the schema; every struct (types,
// events, command arguments), zero and filled in, encodes as JSON that
// the QMP server accepts for its members and decodes back to the same
// encoding; every enum value encodes as its schema name.
func checkFile(name, regPath, label string, s *schema.Schema, n *names) string {
	var items []string
	for _, e := range s.Enums {
		items = append(items, fmt.Sprintf("{Enum: %q, V: %s(0)}", e.Name, n.typ[e.Name]))
	}
	for _, t := range s.Types {
		items = append(items, fmt.Sprintf("{Type: %q, V: %s{}}", t.Name, n.typ[t.Name]))
	}
	for _, c := range s.Commands {
		if a := n.args[c]; a != "" {
			items = append(items, fmt.Sprintf("{Command: %q, V: %s{}}", c.Name, a))
		}
	}
	sort.Strings(items) // stable output; order does not matter
	return fmt.Sprintf(`package %s

import (
	reg %q
	signalbus "github.com/actorio/actorio/signalbus"
)

func init() {
	reg.Package(%q, Schema, func(b *signalbus.Bus) error { _, err := NewSignals(b); return err }, []reg.Item{
%s	})
}
`, name, regPath, label, itemLines(items))
}

func itemLines(items []string) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteString("\t\t" + it + ",\n")
	}
	return b.String()
}

// regSource is the batch's check package: the generic checks, run by the
// batch's main.
const regSource = `package reg

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/qmp"
	"github.com/actorio/actorio/signalbus/schema"
	"github.com/actorio/actorio/sim"
)

type Check struct {
	Pkg, What string
	F         func() error
}

var Checks []Check

// Add registers a check.
func Add(pkg, what string, f func() error) { Checks = append(Checks, Check{pkg, what, f}) }

// Item is a Go value of a generated type: the struct of a schema type
// or of a command's arguments, or an enum.
type Item struct {
	Type, Command, Enum string
	V                   any
}

// Package registers the generic checks of one generated package.
func Package(pkg string, parse func() (*schema.Schema, error), newSignals func(*signalbus.Bus) error, items []Item) {
	Add(pkg, "schema", func() error { _, err := parse(); return err })
	Add(pkg, "NewSignals and qmp.NewServer", func() error {
		w := sim.New(1)
		bus := signalbus.New(w.MustNode("n"))
		err := newSignals(bus)
		if err == nil { // a QMP server serves every bus a schema makes
			var s *schema.Schema
			if s, err = parse(); err == nil {
				_, err = qmp.NewServer(bus, s)
			}
		}
		bus.Close()
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		return err
	})
	for _, it := range items {
		it := it
		what := "type " + it.Type
		if it.Command != "" {
			what = "arguments of command " + it.Command
		} else if it.Enum != "" {
			what = "enum " + it.Enum
		}
		Add(pkg, what, func() error {
			s, err := parse()
			if err != nil {
				return err
			}
			if it.Enum != "" {
				return enum(s.Enum(it.Enum), it.V)
			}
			var members []*schema.Member
			if it.Type != "" {
				members = s.Type(it.Type).Members
			} else {
				members = s.Lookup(it.Command).(*schema.Command).Args
			}
			return value(s, members, it.V)
		})
	}
}

func enum(e *schema.Enum, v any) error {
	for i := 0; i <= len(e.Values); i++ {
		x := reflect.New(reflect.TypeOf(v)).Elem()
		x.SetInt(int64(i))
		b, err := json.Marshal(x.Interface())
		if i == len(e.Values) {
			if err == nil {
				return fmt.Errorf("value %d (out of range) encodes as %s", i, b)
			}
			return nil
		}
		want, _ := json.Marshal(e.Values[i])
		if err != nil || !bytes.Equal(b, want) {
			return fmt.Errorf("value %d encodes as %s, %v; want %s", i, b, err, want)
		}
		y := reflect.New(reflect.TypeOf(v))
		if err := json.Unmarshal(b, y.Interface()); err != nil || y.Elem().Int() != int64(i) {
			return fmt.Errorf("%s decodes as %v, %v", b, y.Elem(), err)
		}
		if s := x.Interface().(fmt.Stringer).String(); s != e.Values[i] {
			return fmt.Errorf("value %d prints as %q", i, s)
		}
	}
	return nil
}

// value checks v, zero and filled in, against members.
func value(s *schema.Schema, members []*schema.Member, v any) error {
	r := qmp.NewRegistry(s)
	if err := r.Add(&qmp.Command{Name: "check", Args: members, Negotiation: true,
		Handler: func(context.Context, *qmp.Conn, *qmp.Call) (any, error) { return nil, nil }}); err != nil {
		return err
	}
	m := qmp.NewMachine(r, 0)
	full := reflect.New(reflect.TypeOf(v)).Elem()
	fill(full, 0)
	for _, x := range []any{v, full.Interface()} {
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Errorf("encoding %+v: %v", x, err)
		}
		if reply, _ := m.Input([]byte(` + "`" + `{"execute": "check", "arguments": ` + "`" + ` + string(b) + "}")); reply != nil {
			return fmt.Errorf("the server refuses %s: %s", b, reply)
		}
		y := reflect.New(reflect.TypeOf(v))
		if err := json.Unmarshal(b, y.Interface()); err != nil {
			return fmt.Errorf("decoding %s: %v", b, err)
		}
		b2, err := json.Marshal(y.Elem().Interface())
		if err != nil || !bytes.Equal(b, b2) {
			return fmt.Errorf("%s decodes and encodes again as %s, %v", b, b2, err)
		}
	}
	return nil
}

var rawType = reflect.TypeOf(json.RawMessage(nil))

// fill sets every field of v to a non-zero value the schema allows (an
// enum keeps its first value), down to a small depth.
func fill(v reflect.Value, depth int) {
	if depth > 3 {
		return
	}
	if v.Type() == rawType {
		v.Set(reflect.ValueOf(json.RawMessage(` + "`" + `{"k":[1,"s",null]}` + "`" + `)))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), depth+1)
		v.Set(s)
	case reflect.String:
		v.SetString("s")
	case reflect.Int64:
		if v.Type().PkgPath() == "" { // an enum keeps its first value
			v.SetInt(7)
		}
	case reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Bool:
		v.SetBool(true)
	}
}
`
