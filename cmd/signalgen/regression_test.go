package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/actorio/actorio/signalbus/schema"
)

// generateSchema parses schema src (as r.qapi) and generates package p
// from it.
func generateSchema(t *testing.T, src string) []byte {
	t.Helper()
	s, err := schema.Parse("r.qapi", src)
	if err != nil {
		t.Fatal(err)
	}
	code, err := Generate(s, src, "r.qapi", "p")
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// buildSchema generates package p from schema src into a scratch
// directory inside the module (its name starts with "_", so ./... does
// not see it), adds extra (more Go files of package p, by name), and
// runs go vet on it; it returns vet's output and whether it failed.
func buildSchema(t *testing.T, src string, extra map[string]string) (string, bool) {
	t.Helper()
	code := generateSchema(t, src)
	dir, err := os.MkdirTemp(".", "_regression-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.WriteFile(filepath.Join(dir, "gen.go"), code, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, text := range extra {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("go", "vet", "./"+filepath.Base(dir)).CombinedOutput()
	return string(out), err != nil
}

func mustBuild(t *testing.T, src string, extra map[string]string) {
	t.Helper()
	if out, failed := buildSchema(t, src, extra); failed {
		t.Fatalf("generated code does not build:\n%s", out)
	}
}

// TestRegressionNoEvents: a valid schema without events (only types and
// commands) generates code that compiles. Found in review: NewSignals
// declared `var err error` and, with no event to register, never used
// it ("declared and not used").
func TestRegressionNoEvents(t *testing.T) {
	mustBuild(t, "{ 'E': [ 'a' ] }\n{ 'Pt': { 'x': 'int' } }\n[ 'ping', { 'n': 'int' }, {}, 'str' ]\n[ 'reset' ]\n", nil)
}

// TestRegressionUnusedImports: schemas without enums, or with nothing
// but types, generate code that compiles. Found in review: the errors
// package is used only by enums, and context only by events and
// commands, yet both were always imported ("imported and not used").
func TestRegressionUnusedImports(t *testing.T) {
	mustBuild(t, "{ 'AEvent': { 'x': 'str' } }\n[ 'ping' ]\n", nil)
	mustBuild(t, "{ 'Pt': { 'x': 'int' } }\n", nil)
}

// TestRegressionArgNamesShadowing: accessor arguments named like a
// predeclared identifier or an imported package the generated bodies use
// (string, any, json, strconv, signalbus, qmp, ...) are renamed, so the
// code compiles. Found in review: only keywords and a few locals were
// escaped, and `map[string]any`, `json.Unmarshal`, `signalbus.Arg` and
// `strconv.FormatInt` then referred to the parameters.
func TestRegressionArgNamesShadowing(t *testing.T) {
	mustBuild(t, `{ 'E': [ 'a' ] }
{ 'AEvent': { 'x': 'str' } }
[ 'a', { 'string': 'str', 'any': 'int', 'json': 'bool', 'strconv': 'int', 'signalbus': 'str', 'qmp': 'str', 'context': 'str', 'errors': 'str', 'time': 'str', 'schema': 'str', 'v': 'str', 'len': 'int' }, {}, 'AEvent' ]
`, nil)
}

// TestRegressionSignalMemberField: an event member whose Go name is
// SignalMember (signal-member) does not collide with the generated
// SignalMember method, and SignalMember still reports it. Found in
// review: the struct got a field and a method of the same name and did
// not compile.
func TestRegressionSignalMemberField(t *testing.T) {
	mustBuild(t, "{ 'E': [ 'a' ] }\n{ 'SEvent': { 'signal-member': 'str', 'n': 'int' } }\n", map[string]string{"check.go": `package p

var _ = func() bool {
	e := &SEvent{XSignalMember: "v"}
	s, ok := e.SignalMember("signal-member")
	return ok && s == "v"
}
`})
}

// TestRegressionExecuteCommand: a command named execute generates a typed
// Execute method that calls the QMP client's Execute, not itself. Found
// in review: the body called c.Execute, which resolved to the generated
// method (wrong arguments: does not compile).
func TestRegressionExecuteCommand(t *testing.T) {
	src := "{ 'E': [ 'a' ] }\n{ 'AEvent': {} }\n[ 'execute', { 'x': 'str' }, {}, 'str' ]\n[ 'execute-none' ]\n"
	mustBuild(t, src, nil)
	code := generateSchema(t, src)
	if !strings.Contains(string(code), `c.Client.Execute(ctx, "execute", args, &out)`) {
		t.Fatalf("Execute does not call the QMP client's Execute:\n%s", code)
	}
}
