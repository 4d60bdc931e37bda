package main

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/actorio/actorio/signalbus/qmp"
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

// buildSchema generates package p from schema src, adds extra (more Go
// files of package p, by name) and type-checks it; it returns the errors
// and whether there were any.
func buildSchema(t *testing.T, src string, extra map[string]string) (string, bool) {
	t.Helper()
	files := map[string]string{"gen.go": string(generateSchema(t, src))}
	for name, text := range extra {
		files[name] = text
	}
	errs := typecheck(t, files)
	return errs, errs != ""
}

func mustBuild(t *testing.T, src string, extra map[string]string) {
	t.Helper()
	if out, failed := buildSchema(t, src, extra); failed {
		t.Fatalf("generated code does not compile:\n%s\nschema:\n%s", out, src)
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
// method that calls the QMP client's Execute, not itself. Found in
// review: the body called c.Execute, which resolved to the generated
// method (wrong arguments: does not compile). Since the Go-name rules
// (names.go), the method is ExecuteCommand: Client keeps the embedded
// qmp.Client's Execute.
func TestRegressionExecuteCommand(t *testing.T) {
	src := "{ 'E': [ 'a' ] }\n{ 'AEvent': {} }\n[ 'execute', { 'x': 'str' }, {}, 'str' ]\n[ 'execute-none' ]\n"
	mustBuild(t, src, map[string]string{"check.go": `package p

import (
	"context"

	"github.com/actorio/actorio/signalbus/qmp"
)

var (
	_ func(*Client, context.Context, ExecuteArgs) (string, error) = (*Client).ExecuteCommand
	_ func(*Client, context.Context, string, any, any) error     = (*Client).Execute
	_ *qmp.Client
)
`})
	code := generateSchema(t, src)
	if !strings.Contains(string(code), `c.Execute(ctx, "execute", args, &out)`) {
		t.Fatalf("ExecuteCommand does not call the QMP client's Execute:\n%s", code)
	}
}

// refusedWith generates src and wants an error containing want (the
// message with its position, r.qapi:L:C: ...).
func refusedWith(t *testing.T, src, want string) {
	t.Helper()
	s, err := schema.Parse("r.qapi", src)
	if err != nil {
		t.Fatalf("the schema does not parse: %v\n%s", err, src)
	}
	_, err = Generate(s, src, "r.qapi", "p")
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("schema:\n%s\ngot error %v\nwant %q", src, err, want)
	}
}

// TestRegressionGoNameClashes: schema names that become one Go name, or
// the name of something signalgen declares, are refused with an error
// naming both and where they are. Found in review: the generated code
// declared both and did not compile (types, members, events, enum values
// a-b and a_b; types Client, Signals, <Cmd>Args; two commands of one Go
// name).
func TestRegressionGoNameClashes(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"{ 'a-b': { 'x': 'str' } }\n{ 'a_b': { 'y': 'str' } }\n",
			`r.qapi:2:3: type "a_b" and type "a-b" (1:3) both become the Go identifier AB; rename one`},
		{"{ 'T': { 'a-b': 'str', 'a_b': 'int' } }\n",
			`r.qapi:1:24: member "a_b" and member "a-b" (1:10) both become the field AB of type "T"; rename one`},
		{"{ 'A-BEvent': {} }\n{ 'A_BEvent': {} }\n",
			`r.qapi:2:3: event "A_BEvent" and event "A-BEvent" (1:3) both become the Go identifier ABEvent; rename one`},
		{"{ 'AEvent': { 'x-y': 'str', 'x_y': 'str' } }\n",
			`r.qapi:1:29: member "x_y" and member "x-y" (1:15) both become the field XY of event "AEvent"; rename one`},
		{"{ 'E': [ 'a-b', 'a_b' ] }\n",
			`r.qapi:1:3: the constant of value "a_b" of enum "E" and the constant of value "a-b" of enum "E" (1:3) both become the Go identifier EAB; rename one`},
		{"{ 'E': [ 'a' ] }\n{ 'EA': {} }\n",
			`r.qapi:2:3: type "EA" and the constant of value "a" of enum "E" (1:3) both become the Go identifier EA; rename one`},
		{"{ 'Client': { 'x': 'str' } }\n",
			`r.qapi:1:3: type "Client" becomes the Go identifier Client, which signalgen declares for the typed QMP client; rename it`},
		{"{ 'signals': [ 'a' ] }\n",
			`r.qapi:1:3: enum "signals" becomes the Go identifier Signals, which signalgen declares for the bus-side signals; rename it`},
		{"{ 'schema': {} }\n",
			`r.qapi:1:3: type "schema" becomes the Go identifier Schema, which signalgen declares for the schema parse function; rename it`},
		{"{ 'PingArgs': { 'x': 'str' } }\n[ 'ping', { 'n': 'int' } ]\n",
			`r.qapi:2:3: the arguments struct of command "ping" and type "PingArgs" (1:3) both become the Go identifier PingArgs; rename one`},
		{"[ 'a-b' ]\n[ 'a_b' ]\n",
			`r.qapi:2:3: command "a_b" and command "a-b" (1:3) both become the method AB of Client; rename one`},
		{"[ 'close' ]\n[ 'close-command' ]\n",
			`r.qapi:2:3: command "close-command" and command "close" (1:3) both become the method CloseCommand of Client; rename one`},
		{"{ 'SEvent': { 'signal-member': 'str', 'x-signal-member': 'str' } }\n",
			`r.qapi:1:39: member "x-signal-member" and member "signal-member" (1:15) both become the field XSignalMember of event "SEvent"; rename one`},
	} {
		refusedWith(t, c.src, c.want)
	}
}

// TestRegressionEventNames: two events whose signal accessors are the
// same (ABEvent and AbEvent both default to ab-event; a default accessor
// that is another event's accessor command), or whose QMP event names are
// (AB_EVENT), are refused. Found in review: the code compiled, but
// NewSignals always failed (the bus refuses a second signal of one
// accessor), and QMP clients could not tell the events apart.
func TestRegressionEventNames(t *testing.T) {
	refusedWith(t, "{ 'ABEvent': {} }\n{ 'AbEvent': {} }\n",
		`r.qapi:2:3: event "AbEvent": its signal accessor ab-event is also that of event "ABEvent" (1:3); give one an accessor of its own, or rename it`)
	refusedWith(t, "{ 'FooEvent': {} }\n{ 'BarEvent': {} }\n[ 'foo-event', {}, {}, 'BarEvent' ]\n",
		`r.qapi:2:3: event "BarEvent": its signal accessor foo-event is also that of event "FooEvent" (1:3)`)
	refusedWith(t, "{ 'ABEvent': {} }\n{ 'AbEvent': {} }\n[ 'a', {}, {}, 'ABEvent' ]\n[ 'b', {}, {}, 'AbEvent' ]\n",
		`r.qapi:2:3: event "AbEvent" and event "ABEvent" (1:3) both become the QMP event AB_EVENT; rename one`)
}

// TestRegressionThrottleKey: a throttle keyed on a list, struct or any
// member (not an accessor argument) is refused. Found in review: the
// code compiled, but NewSignals always failed (the bus refuses a key
// SignalMember has no value for).
func TestRegressionThrottleKey(t *testing.T) {
	for _, key := range []string{"pt", "ids", "raw"} {
		refusedWith(t, "{ 'Pt': { 'x': 'int' } }\n{ 'AEvent': { 'pt': 'Pt', 'ids': [ 'str' ], 'raw': 'any' } }\n{ 'throttle': 'AEvent', 'period-ms': 10, 'key': '"+key+"' }\n",
			`r.qapi:3:1: throttle AEvent: key "`+key+`" is a list, struct or any member, which has no value to key on`)
	}
	// An accessor argument is a key: fine. (It cannot have the name of a
	// member of the event: the schema refuses that, as QMP could not
	// carry both in the event's data.)
	mustBuild(t, "{ 'AEvent': { 'ids': [ 'str' ] } }\n[ 'a', { 'id': 'str' }, {}, 'AEvent' ]\n{ 'throttle': 'AEvent', 'period-ms': 10, 'key': 'id' }\n", nil)
}

// TestRegressionClientMethods: a command whose method would be a name the
// typed Client already has — the embedded *qmp.Client's field (client),
// its promoted methods and field (close, connect, greeting, ...) or an
// event's connect method — is named with Command appended, and Client
// keeps the qmp.Client API. Found in review: client did not compile
// (field and method Client), close hid qmp.Client.Close.
func TestRegressionClientMethods(t *testing.T) {
	src := `{ 'TickEvent': {} }
[ 'client' ]
[ 'close', { 'now': 'bool' } ]
[ 'connect', {}, {}, 'str' ]
[ 'disconnect' ]
[ 'greeting' ]
[ 'on-event' ]
[ 'execute' ]
[ 'tick-event-connect' ]
`
	mustBuild(t, src, map[string]string{"check.go": `package p

import (
	"context"
	"io"

	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/qmp"
)

var (
	_ io.Closer                                                 = (*Client)(nil)
	_ func(*Client) *qmp.Client                                 = func(c *Client) *qmp.Client { return c.Client }
	_ func(*Client, context.Context) error                      = (*Client).ClientCommand
	_ func(*Client, context.Context, CloseArgs) error           = (*Client).CloseCommand
	_ func(*Client, context.Context) (string, error)            = (*Client).ConnectCommand
	_ func(*Client, context.Context) error                      = (*Client).DisconnectCommand
	_ func(*Client, context.Context) error                      = (*Client).GreetingCommand
	_ func(*Client, context.Context) error                      = (*Client).OnEventCommand
	_ func(*Client, context.Context) error                      = (*Client).ExecuteCommand
	_ func(*Client, context.Context) error                      = (*Client).TickEventConnectCommand
	_ func(*Client, context.Context, func(TickEvent)) (signalbus.Handle, error) = (*Client).TickEventConnect
)
`})
}

// TestClientAPI: clientAPI is exactly the exported fields and methods
// *qmp.Client gives the generated Client (and Client, the embedded
// field), so no command method can take one of them.
func TestClientAPI(t *testing.T) {
	want := map[string]bool{"Client": true}
	ct := reflect.TypeOf(&qmp.Client{})
	for i := 0; i < ct.NumMethod(); i++ {
		want[ct.Method(i).Name] = true
	}
	for i := 0; i < ct.Elem().NumField(); i++ {
		if f := ct.Elem().Field(i); f.IsExported() {
			want[f.Name] = true
		}
	}
	got := map[string]bool{}
	for _, n := range clientAPI {
		got[n] = true
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("clientAPI is %v, qmp.Client has %v", clientAPI, want)
	}
}

// TestRegressionAccessorParams: accessor arguments whose parameters would
// be one Go name (a-b and a_b; ctx, renamed ctxArg, and ctx-arg) get
// distinct parameters. Found in review: duplicate parameters did not
// compile.
func TestRegressionAccessorParams(t *testing.T) {
	mustBuild(t, "{ 'AEvent': {} }\n[ 'a', { 'a-b': 'str', 'a_b': 'int', 'ctx': 'str', 'ctx-arg': 'bool', 'slot': 'str' }, {}, 'AEvent' ]\n", map[string]string{"check.go": `package p

import (
	"context"

	"github.com/actorio/actorio/signalbus"
)

var _ func(*Signals, context.Context, string, int64, string, bool, string, signalbus.Slot[AEvent], ...signalbus.ConnectOption) (signalbus.Handle, error) = (*Signals).AEventConnect
`})
}

// TestRegressionNameSpelling: a schema name that cannot become (part of)
// a Go identifier is refused at its position; one that does not start
// with an upper-case letter once capitalised (1x, 中文) gets an X, so
// every generated name is exported. Found in review: a+b (or a name with
// a newline, quote or backtick) made code that gofmt could not parse,
// reported as a formatting failure with the whole output.
func TestRegressionNameSpelling(t *testing.T) {
	refusedWith(t, "{ 'T': { 'a+b': 'str' } }\n", `r.qapi:1:10: type "T": member "a+b": '+' cannot be part of a Go name`)
	refusedWith(t, "{ 'T\\nU': {} }\n", `r.qapi:1:3: type "T\nU": '\n' cannot be part of a Go name`)
	refusedWith(t, "[ 'ping`', {} ]\n", "r.qapi:1:3: command \"ping`\": '`' cannot be part of a Go name")
	refusedWith(t, "{ 'E': [ 'a/b' ] }\n", `r.qapi:1:3: enum "E": value "a/b": '/' cannot be part of a Go name`)
	refusedWith(t, "{ 'AEvent': {} }\n[ 'a\"b', {}, {}, 'AEvent' ]\n", `r.qapi:2:3: command "a\"b": '"' cannot be part of a Go name`)
	src := "{ '中文': { '1st': 'str' } }\n{ 'e': [ '1', 'ü' ] }\n"
	mustBuild(t, src, map[string]string{"check.go": `package p

var _ = X中文{X1st: "x"}
var _ = [...]E{EX1, EÜ}
`})
}

// TestRegressionBuiltinNames: a type or enum named like a builtin type
// (str, int, bool, number, any, none) is refused: every reference to the
// name means the builtin. Found in review: { 'int': {...} } generated a
// type Int no member could use, and the SignalMember of an event's int
// member was skipped (int looked like a struct).
func TestRegressionBuiltinNames(t *testing.T) {
	refusedWith(t, "{ 'int': { 'x': 'str' } }\n", `r.qapi:1:3: type "int": int is a builtin type name`)
	refusedWith(t, "{ 'none': [ 'a' ] }\n", `r.qapi:1:3: enum "none": none is a builtin type name`)
}

// TestRegressionRecursiveTypes: a type that contains itself through
// required, non-list members is refused (Go rejects it: invalid
// recursive type; no finite JSON value has it); through an optional or a
// list member it is fine. Found in review: the generated code did not
// compile.
func TestRegressionRecursiveTypes(t *testing.T) {
	refusedWith(t, "{ 'T': { 'next': 'T' } }\n",
		`r.qapi:1:10: type "T": member "next" makes T contain itself (T → T); make a member on that cycle optional or a list`)
	refusedWith(t, "{ 'A': { 'b': 'B' } }\n{ 'B': { 'x': 'int', 'a': 'A' } }\n",
		`r.qapi:2:22: type "B": member "a" makes A contain itself (A → B → A)`)
	mustBuild(t, "{ 'T': { '*next': 'T', 'kids': [ 'T' ] } }\n{ 'AEvent': { 'root': 'T' } }\n", nil)
}

// TestRegressionRequiredList: a required list member is not omitted when
// empty (it was tagged omitempty: an empty list could not be sent, and
// the server refused the command, "Parameter 'x' is missing"), and a nil
// one is encoded as [] (null is not a list either). TestGeneratedCodeRuns
// runs this schema against the server's argument checks.
func TestRegressionRequiredList(t *testing.T) {
	code := string(generateSchema(t, requiredListSchema))
	for _, want := range []string{
		"Ids []string `json:\"ids\"`",
		"func (v FArgs) MarshalJSON() ([]byte, error) {",
		"func (v ListsEvent) MarshalJSON() ([]byte, error) {",
		"if p.Ids == nil {\n\t\tp.Ids = []string{}\n\t}",
	} {
		if !strings.Contains(code, want) {
			t.Errorf("generated code lacks %q", want)
		}
	}
	if strings.Contains(code, "`json:\"ids,omitempty\"`") {
		t.Errorf("a required list is omitempty:\n%s", code)
	}
}

const requiredListSchema = `{ 'Pt': { 'tags': [ 'str' ], '*opt': [ 'int' ] } }
{ 'ListsEvent': { 'pts': [ 'Pt' ], 'marshal-j-s-o-n': 'str' } }
[ 'f', { 'ids': [ 'str' ], 'pt': 'Pt' } ]
`

// TestRegressionDashMember: a member named - is encoded as "-". Found in
// review: its tag was json:"-", which tells encoding/json to skip the
// field, so the member was never sent (the server refused the command:
// "Parameter '-' is missing") nor decoded. TestGeneratedCodeRuns runs
// oddNamesSchema.
func TestRegressionDashMember(t *testing.T) {
	code := string(generateSchema(t, oddNamesSchema))
	if !strings.Contains(code, "`json:\"-,\"`") || strings.Contains(code, "`json:\"-\"`") {
		t.Fatalf("member - is not encoded as \"-\":\n%s", code)
	}
}

// oddNamesSchema has valid names that are hard on Go names and json tags.
const oddNamesSchema = `{ 'Odd': { '-': 'str', '*y_': 'int', 'a b': 'bool', '中': 'number', '1st': [ 'any' ], 'x.y': 'any' } }
{ 'OddEvent': { '*y_': 'int', 'a b': 'Odd' } }
[ 'odd', { '-': 'str' }, {}, 'OddEvent' ]
[ 'odd-cmd', { '-': 'Odd', 'u_': [ 'Odd' ] }, {}, 'Odd' ]
`

// TestRegressionOptionalAccessorArgs: an optional accessor argument is a
// pointer parameter of the connect and disconnect methods, nil leaving
// it out, so a connection need not filter on it (signalbus: "may be
// omitted on connect, then it does not filter"); emitting still gives
// it a value. Found in review: it was a plain parameter, always sent, so
// every connection filtered on it. TestGeneratedCodeRuns runs
// optionalArgsRun: a nil lane receives every lane's events.
func TestRegressionOptionalAccessorArgs(t *testing.T) {
	mustBuild(t, optionalArgsSchema, map[string]string{"check.go": `package p

import (
	"context"

	"github.com/actorio/actorio/signalbus"
)

var (
	_ func(*Signals, string, int64, DiskEvent) error                                                                           = (*Signals).DiskEventSignal
	_ func(*Signals, context.Context, string, *int64, signalbus.Slot[DiskEvent], ...signalbus.ConnectOption) (signalbus.Handle, error) = (*Signals).DiskEventConnect
	_ func(*Client, context.Context, string, *int64, func(DiskEvent)) (signalbus.Handle, error)                               = (*Client).DiskEventConnect
	_ func(*Client, context.Context, string, *int64, signalbus.Handle) error                                                  = (*Client).DiskEventDisconnect
)
`})
}

const optionalArgsSchema = `{ 'DiskEvent': { 'n': 'int' } }
[ 'disk', { 'dev': 'str', '*lane': 'int' }, {}, 'DiskEvent' ]
`

const optionalArgsRun = `package p

import (
	"context"
	"fmt"

	reg "REG"
	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/sim"
)

func init() {
	reg.Add("optional accessor arguments", "a nil lane does not filter", func() error {
		w := sim.New(1)
		defer w.Close()
		bus := signalbus.New(w.MustNode("n"))
		defer bus.Close()
		s, err := NewSignals(bus)
		if err != nil {
			return err
		}
		var all, two []int64
		slot := func(dst *[]int64) signalbus.Slot[DiskEvent] {
			return signalbus.FuncSlot(func(_ context.Context, ev *signalbus.Event[DiskEvent]) { *dst = append(*dst, ev.Value.N) })
		}
		lane := int64(2)
		if _, err := s.DiskEventConnect(context.Background(), "a", nil, slot(&all)); err != nil {
			return err
		}
		if _, err := s.DiskEventConnect(context.Background(), "a", &lane, slot(&two)); err != nil {
			return err
		}
		_, _ = w.Run()
		for i, e := range []struct {
			dev  string
			lane int64
		}{{"a", 1}, {"a", 2}, {"b", 2}} {
			if err := s.DiskEventSignal(e.dev, e.lane, DiskEvent{N: int64(i)}); err != nil {
				return err
			}
		}
		_, _ = w.Run()
		if got := fmt.Sprint(all, two); got != "[0 1] [1]" {
			return fmt.Errorf("delivered %s, want [0 1] [1]", got)
		}
		return nil
	})
}
`

// TestRegressionPackageName: a package name that is not a Go identifier
// is refused plainly (it made code gofmt could not parse).
func TestRegressionPackageName(t *testing.T) {
	s, err := schema.Parse("r.qapi", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"1p", "a-b", "_", "func"} {
		if _, err := Generate(s, "", "r.qapi", pkg); err == nil || !strings.Contains(err.Error(), "is not a Go identifier") {
			t.Errorf("package %q: %v", pkg, err)
		}
	}
}

// TestGeneratedCodeRuns builds and runs, in one batch, the generated
// packages of the schemas whose behaviour matters at run time (required
// lists) and of the first random schemas (TestRandomSchemas only
// type-checks): the generic checks of checkFile (encodings the QMP
// server's argument checks accept, round trips, enum values, NewSignals
// on a bus).
func TestGeneratedCodeRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and links a program (seconds)")
	}
	batch := []batchPkg{
		{label: "required lists", src: requiredListSchema},
		{label: "odd names", src: oddNamesSchema},
		{label: "optional accessor arguments", src: optionalArgsSchema, extra: map[string]string{"filter.go": optionalArgsRun}},
		{label: "extras", src: mustRead(t, "../../internal/seedapi/extras/extras.qapi")},
		{label: "command options", src: optionsSchema, extra: map[string]string{"options.go": optionsRun}},
	}
	for _, c := range randomCases() {
		if len(batch) >= 3+*randomRuns {
			break
		}
		if code, _ := generateRandom(t, c); code != nil {
			batch = append(batch, batchPkg{label: c.String(), src: c.src})
		}
	}
	runBatch(t, batch)
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
