package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// optionsSchema has a command with each option, alone or combined.
const optionsSchema = `{ 'Args': { 'id': 'str', '*n': 'int' } }
[ 'fire', { 'x': 'int' }, { 'success-response': false } ]
[ 'fire-bare', {}, { 'success-response': false, 'gen': false } ]
[ 'fast', {}, { 'allow-oob': true, 'allow-preconfig': true, 'coroutine': true,
                'features': [ 'deprecated', 'unstable', { 'name': 'x-odd' } ] }, 'int' ]
[ 'boxed', 'Args', { 'boxed': true }, 'str' ]
[ 'named', 'Args' ]
[ 'raw', { 'driver': 'str' }, { 'gen': false }, 'Args' ]
`

// TestRegressionCommandOptions: commands with options generate client
// methods that compile and say what the options mean:
// 'success-response': false returns only an error; arguments named as a
// type (boxed or not) are passed as that type; 'gen': false sends args as
// they are and returns raw JSON, with no arguments struct; the deprecated
// feature is a Deprecated: paragraph.
//
// Found in review: signalgen refused every command with options ("the
// options object must be empty"), and the schema could not express them.
func TestRegressionCommandOptions(t *testing.T) {
	mustBuild(t, optionsSchema, map[string]string{"check.go": `package p

import (
	"context"
	"encoding/json"
)

var (
	_ func(*Client, context.Context, FireArgs) error                   = (*Client).Fire
	_ func(*Client, context.Context, any) error                        = (*Client).FireBare
	_ func(*Client, context.Context) (int64, error)                    = (*Client).Fast
	_ func(*Client, context.Context, Args) (string, error)             = (*Client).Boxed
	_ func(*Client, context.Context, Args) error                       = (*Client).Named
	_ func(*Client, context.Context, any) (json.RawMessage, error)     = (*Client).Raw
)

// No arguments struct is generated for gen: false, or for arguments
// named as a type.
type (
	RawArgs   struct{}
	BoxedArgs struct{}
	NamedArgs struct{}
)
`})
	code := string(generateSchema(t, optionsSchema))
	for _, want := range []string{
		"// Deprecated: the schema marks fast deprecated.",
		"// The schema marks it unstable.",
		`// Features: "x-odd".`,
		"('allow-oob': true)",
		"('success-response': false)",
		"('gen': false)",
		"('boxed': true)",
	} {
		if !strings.Contains(code, want) {
			t.Errorf("the generated code lacks %q", want)
		}
	}
}

// optionsRun runs the clients of optionsSchema against a scripted QMP
// server: fire gets no reply when it succeeds, fire-bare an error; raw
// and boxed send their arguments as given.
const optionsRun = `package p

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"

	reg "REG"
	"github.com/actorio/actorio/signalbus/qmp"
)

func init() {
	reg.Add("command options", "the clients of commands with options", func() error {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer ln.Close()
		got := make(chan string, 16) // each command the server read, with its arguments
		go func() {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
			fmt.Fprintf(conn, "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\n")
			sc := bufio.NewScanner(conn)
			for sc.Scan() {
				var req struct {
					Execute   string          ` + "`json:\"execute\"`" + `
					Arguments json.RawMessage ` + "`json:\"arguments\"`" + `
					ID        json.RawMessage ` + "`json:\"id\"`" + `
				}
				if json.Unmarshal(sc.Bytes(), &req) != nil {
					return
				}
				switch req.Execute {
				case "fire": // succeeds: no reply
				case "fire-bare":
					fmt.Fprintf(conn, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}, \"id\": %s}\n", req.ID)
				case "raw":
					fmt.Fprintf(conn, "{\"return\": {\"id\": \"r\"}, \"id\": %s}\n", req.ID)
				case "boxed":
					fmt.Fprintf(conn, "{\"return\": \"ok\", \"id\": %s}\n", req.ID)
				default:
					fmt.Fprintf(conn, "{\"return\": {}, \"id\": %s}\n", req.ID)
				}
				got <- req.Execute + " " + string(req.Arguments)
			}
		}()
		ctx := context.Background()
		qc, err := qmp.Dial(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer qc.Close()
		c := NewClient(qc)
		if s := <-got; s != "qmp_capabilities " {
			return fmt.Errorf("server read %q first", s)
		}

		// No reply: ctx ending after the command was sent is success.
		fctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- c.Fire(fctx, FireArgs{X: 7}) }()
		if s := <-got; s != "fire {\"x\":7}" {
			return fmt.Errorf("fire: server read %q", s)
		}
		cancel()
		if err := <-done; err != nil {
			return fmt.Errorf("fire with no reply: %v, want nil", err)
		}
		// ctx already ended: nothing is sent, and that is an error.
		if err := c.Fire(fctx, FireArgs{}); !errors.Is(err, context.Canceled) {
			return fmt.Errorf("fire with an ended ctx: %v, want context.Canceled", err)
		}
		// An error reply is the error.
		var qe *qmp.Error
		if err := c.FireBare(ctx, nil); !errors.As(err, &qe) || qe.Desc != "no" {
			return fmt.Errorf("fire-bare: %v, want the server's error", err)
		}
		if s := <-got; s != "fire-bare " {
			return fmt.Errorf("fire-bare: server read %q", s)
		}
		// gen: false: args as given, the return raw.
		ret, err := c.Raw(ctx, map[string]any{"driver": "d", "extra": 1})
		if err != nil || string(ret) != "{\"id\": \"r\"}" {
			return fmt.Errorf("raw: %s, %v", ret, err)
		}
		if s := <-got; s != "raw {\"driver\":\"d\",\"extra\":1}" {
			return fmt.Errorf("raw: server read %q", s)
		}
		// boxed: the arguments are the type.
		n := int64(3)
		if r, err := c.Boxed(ctx, Args{Id: "a", N: &n}); err != nil || r != "ok" {
			return fmt.Errorf("boxed: %q, %v", r, err)
		}
		if s := <-got; s != "boxed {\"id\":\"a\",\"n\":3}" {
			return fmt.Errorf("boxed: server read %q", s)
		}
		return nil
	})
}
`

// TestRegressionBadPackageFlag: a -pkg that is not a Go identifier is a
// usage error (exit 2, said once), like a missing -pkg, and nothing is
// written.
//
// Found in review: it exited 1 as a schema error would, after reading and
// parsing the schema, with the message prefixed twice ("signalgen:
// signalgen: package name ...").
func TestRegressionBadPackageFlag(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "a.qapi"), filepath.Join(dir, "a.go")
	if err := os.WriteFile(in, []byte("{ 'AEvent': {} }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"1x", "a-b", "func", "_"} {
		var stderr bytes.Buffer
		code := runMain([]string{"-schema", in, "-pkg", pkg, "-o", out}, &stderr)
		want := fmt.Sprintf("signalgen: -pkg %q is not a Go package name (an identifier, not a keyword or _)\n", pkg)
		if code != 2 || !strings.HasPrefix(stderr.String(), want) {
			t.Errorf("-pkg %q: exit %d, stderr:\n%s\nwant exit 2 and %q", pkg, code, stderr.String(), want)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("-pkg %q: the output exists (%v)", pkg, err)
		}
	}
}

// TestRegressionOutputReplacedAtomically: -o replaces the output file
// whole, by renaming a finished file over it: a reader holding the old
// file (here, a hard link to it) sees the old code, never a truncated or
// half-written one, and no temporary file is left. A symlinked output
// keeps its link and gets the new code in its target; an output that is
// not a regular file (/dev/null) is written in place; a failed run leaves
// the old output as it was.
//
// Found in review: the output was written in place with os.WriteFile,
// which truncates it first: a write that failed midway (a full disk, a
// killed go generate) left a half-written .go file.
func TestRegressionOutputReplacedAtomically(t *testing.T) {
	dir := t.TempDir()
	in, out, link := filepath.Join(dir, "a.qapi"), filepath.Join(dir, "a_gen.go"), filepath.Join(dir, "held.go")
	if err := os.WriteFile(in, []byte("{ 'AEvent': {} }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, []byte("package old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(out, link); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := runMain([]string{"-schema", in, "-pkg", "p", "-o", out}, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if got := mustRead(t, link); got != "package old\n" {
		t.Errorf("the old file was rewritten in place:\n%.80s", got)
	}
	if got := mustRead(t, out); !strings.Contains(got, "package p\n") {
		t.Errorf("the output is not the new code:\n%.80s", got)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("output mode %v (%v), want 0644", fi.Mode(), err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Errorf("the directory holds %d files, want a.qapi, a_gen.go, held.go: %v", len(entries), entries)
	}

	// A symlink stays one; its target gets the code.
	target, sym := filepath.Join(dir, "target.go"), filepath.Join(dir, "sym.go")
	if err := os.WriteFile(target, []byte("package old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("target.go", sym); err != nil {
		t.Fatal(err)
	}
	if code := runMain([]string{"-schema", in, "-pkg", "p", "-o", sym}, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if fi, err := os.Lstat(sym); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlinked output is no longer a symlink (%v)", err)
	}
	if got := mustRead(t, target); !strings.Contains(got, "package p\n") {
		t.Errorf("the symlink's target is not the new code:\n%.80s", got)
	}
	if fi, err := os.Stat(target); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("target mode %v (%v), want its own 0600 kept", fi.Mode(), err)
	}

	// Not a regular file: written in place.
	if code := runMain([]string{"-schema", in, "-pkg", "p", "-o", os.DevNull}, &stderr); code != 0 {
		t.Fatalf("-o %s: exit %d: %s", os.DevNull, code, stderr.String())
	}
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode()&os.ModeDevice == 0 {
		t.Fatalf("%s is no longer a device (%v)", os.DevNull, err)
	}

	// A failed run leaves the old output.
	if err := os.WriteFile(in, []byte("{ 'AEvent': { 'x': 'Nope' } }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := mustRead(t, out)
	if code := runMain([]string{"-schema", in, "-pkg", "p", "-o", out}, &stderr); code != 1 {
		t.Fatalf("bad schema: exit %d, want 1", code)
	}
	if mustRead(t, out) != before {
		t.Errorf("a failed run changed the output")
	}
}
