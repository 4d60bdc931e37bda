package main

import (
	"fmt"
	"go/token"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/schema"
)

// names is every Go name the generated code declares for a schema,
// decided once before any code is written (see the package doc for the
// rules). resolve refuses a schema whose names cannot all be declared.
type names struct {
	typ     map[string]string          // type or enum → Go type
	field   map[*schema.Member]string  // member of a type or of a command's arguments → struct field
	method  map[*schema.Command]string // command → method of Client
	args    map[*schema.Command]string // command with arguments given as an object (and gen) → its struct type
	param   map[*schema.Member]string  // accessor argument → parameter
	accName map[*schema.Type]string    // event → its signal accessor (explicit or derived)
	// marshal: the struct has required list members, and a MarshalJSON
	// that encodes a nil one as [] (omitting it, or null, would be
	// refused: the member is required and is a list).
	marshal map[string]bool
}

// clientAPI are the names *qmp.Client gives the generated Client: the
// embedded field itself, and what it promotes. A command whose method
// would take one of them is suffixed with Command instead (TestClientAPI
// keeps this list equal to qmp.Client's exported fields and methods).
var clientAPI = []string{"Client", "Greeting", "OnEvent", "Execute", "Connect", "Disconnect", "Close"}

// owner is what claims a Go name: a schema thing (with its position) or
// something signalgen declares on its own (no position).
type owner struct {
	what string // `type "a-b"`, `the typed QMP client`
	pos  schema.Pos
}

func (o owner) generated() bool { return o.pos == schema.Pos{} }

// scope is one Go namespace: the package block, the fields and methods
// of one struct, the methods of Client.
type scope struct {
	kind  string // how a name in it is called, with %s for the name: "the Go identifier %s"
	taken map[string]owner
}

func newScope(kind string) *scope { return &scope{kind: kind, taken: map[string]owner{}} }

type resolver struct {
	s    *schema.Schema
	file string
	n    *names
}

func (r *resolver) errf(p schema.Pos, format string, args ...any) error {
	return &schema.Error{File: r.file, Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)}
}

func at(p schema.Pos) string { return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col) }

// claim gives ident in sc to o, or says who has it.
func (r *resolver) claim(sc *scope, ident string, o owner) error {
	old, dup := sc.taken[ident]
	if !dup {
		sc.taken[ident] = o
		return nil
	}
	name := fmt.Sprintf(sc.kind, ident)
	if old.generated() {
		return r.errf(o.pos, "%s becomes %s, which signalgen declares for %s; rename it", o.what, name, old.what)
	}
	first, second := old, o
	if before(second.pos, first.pos) {
		first, second = second, first
	}
	return r.errf(second.pos, "%s and %s (%s) both become %s; rename one", second.what, first.what, at(first.pos), name)
}

// resolve checks that the schema can be turned into Go and names
// everything the generated code declares.
func resolve(s *schema.Schema, file string) (*names, error) {
	r := &resolver{s: s, file: file, n: &names{
		typ: map[string]string{}, field: map[*schema.Member]string{}, method: map[*schema.Command]string{},
		args: map[*schema.Command]string{}, param: map[*schema.Member]string{}, accName: map[*schema.Type]string{},
		marshal: map[string]bool{},
	}}
	for _, step := range []func() error{r.spelling, r.recursion, r.pkg, r.structs, r.client, r.params, r.signals} {
		if err := step(); err != nil {
			return nil, err
		}
	}
	return r.n, nil
}

// goName turns a schema name (block-device-event, nospc, query_x) into an
// exported Go identifier: '-', '_', '.' and ' ' end a word, each word
// starts upper case, and X goes first when the result would not start
// with an upper-case letter (1x, 中文, or a name of separators only).
func goName(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if isSep(r) {
			up = true
			continue
		}
		if up {
			b.WriteRune(unicode.ToUpper(r))
			up = false
		} else {
			b.WriteRune(r)
		}
	}
	out := b.String()
	if out == "" || !unicode.IsUpper([]rune(out)[0]) {
		out = "X" + out
	}
	return out
}

func isSep(r rune) bool { return r == '-' || r == '_' || r == '.' || r == ' ' }

// badRune returns the first rune of name that goName cannot keep in an
// identifier (neither a letter, a digit nor a word separator), if any.
func badRune(name string) (rune, bool) {
	for _, r := range name {
		if !isSep(r) && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return r, true
		}
	}
	return 0, false
}

// spelling: every name the generated code turns into an identifier (or
// writes in a comment) is made of letters, digits and separators; no
// type is named like a builtin; no object declares a member twice
// ('x' and '*x').
func (r *resolver) spelling() error {
	check := func(p schema.Pos, what, name string) error {
		if c, bad := badRune(name); bad {
			return r.errf(p, "%s: %q cannot be part of a Go name (names are letters, digits, '-', '_', '.' and ' ')", what, c)
		}
		return nil
	}
	members := func(owner string, ms []*schema.Member) error {
		seen := map[string]*schema.Member{}
		for _, m := range ms {
			if err := check(m.Pos, fmt.Sprintf("%s: member %q", owner, m.Name), m.Name); err != nil {
				return err
			}
			if old := seen[m.Name]; old != nil {
				return r.errf(m.Pos, "%s: member %q is declared twice (first at %s)", owner, m.Name, at(old.Pos))
			}
			seen[m.Name] = m
		}
		return nil
	}
	for _, e := range r.s.Enums {
		what := fmt.Sprintf("enum %q", e.Name)
		if err := r.notBuiltin(e.Pos, what, e.Name); err != nil {
			return err
		}
		if err := check(e.Pos, what, e.Name); err != nil {
			return err
		}
		for _, v := range e.Values {
			if err := check(e.Pos, fmt.Sprintf("%s: value %q", what, v), v); err != nil {
				return err
			}
		}
	}
	for _, t := range r.s.Types {
		what := fmt.Sprintf("type %q", t.Name)
		if err := r.notBuiltin(t.Pos, what, t.Name); err != nil {
			return err
		}
		if err := check(t.Pos, what, t.Name); err != nil {
			return err
		}
		if err := members(what, t.Members); err != nil {
			return err
		}
	}
	for _, c := range r.functions() {
		what := fmt.Sprintf("command %q", c.Name)
		if err := check(c.Pos, what, c.Name); err != nil {
			return err
		}
		if err := members(what, c.Args); err != nil {
			return err
		}
	}
	return nil
}

func (r *resolver) notBuiltin(p schema.Pos, what, name string) error {
	if schema.Builtins[name] || name == "none" {
		return r.errf(p, "%s: %s is a builtin type name (a reference to it means the builtin), rename it", what, name)
	}
	return nil
}

// functions returns the commands and the signal accessors, in source order.
func (r *resolver) functions() []*schema.Command {
	fns := append(append([]*schema.Command(nil), r.s.Commands...), r.s.Accessors...)
	sort.SliceStable(fns, func(i, j int) bool { return before(fns[i].Pos, fns[j].Pos) })
	return fns
}

func before(a, b schema.Pos) bool { return a.Line < b.Line || (a.Line == b.Line && a.Col < b.Col) }

// recursion: a struct cannot contain itself through required, non-list
// members (Go rejects the type; no finite JSON value has it either).
func (r *resolver) recursion() error {
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(t *schema.Type) error
	visit = func(t *schema.Type) error {
		state[t.Name] = onPath
		path = append(path, t.Name)
		for _, m := range t.Members {
			u := r.s.Type(m.Type)
			if u == nil || m.Optional || m.List {
				continue
			}
			switch state[u.Name] {
			case onPath:
				cycle := append([]string(nil), path[slices.Index(path, u.Name):]...)
				return r.errf(m.Pos, "type %q: member %q makes %s contain itself (%s → %s); make a member on that cycle optional or a list",
					t.Name, m.Name, u.Name, strings.Join(cycle, " → "), u.Name)
			case unseen:
				if err := visit(u); err != nil {
					return err
				}
			}
		}
		path = path[:len(path)-1]
		state[t.Name] = done
		return nil
	}
	for _, t := range r.s.Types {
		if state[t.Name] == unseen {
			if err := visit(t); err != nil {
				return err
			}
		}
	}
	return nil
}

// pkg names the package-level declarations: the fixed ones, then each
// type, enum (type, constants, Parse function, names table) and
// command-arguments struct, in source order.
func (r *resolver) pkg() error {
	sc := newScope("the Go identifier %s")
	for name, what := range map[string]string{ // distinct names: claiming cannot fail
		"SchemaSource": "the embedded schema source", "Schema": "the schema parse function",
		"Signals": "the bus-side signals", "NewSignals": "the bus-side signals' constructor",
		"Client": "the typed QMP client", "NewClient": "the typed QMP client's constructor",
	} {
		sc.taken[name] = owner{what: what}
	}
	type item struct {
		pos   schema.Pos
		claim func() error
	}
	var items []item
	for _, e := range r.s.Enums {
		items = append(items, item{e.Pos, func() error {
			n := goName(e.Name)
			r.n.typ[e.Name] = n
			what := fmt.Sprintf("enum %q", e.Name)
			if err := r.claim(sc, n, owner{what, e.Pos}); err != nil {
				return err
			}
			if err := r.claim(sc, "Parse"+n, owner{"the parse function of " + what, e.Pos}); err != nil {
				return err
			}
			if err := r.claim(sc, enumTable(n), owner{"the value table of " + what, e.Pos}); err != nil {
				return err
			}
			for _, v := range e.Values {
				if err := r.claim(sc, n+goName(v), owner{fmt.Sprintf("the constant of value %q of %s", v, what), e.Pos}); err != nil {
					return err
				}
			}
			return nil
		}})
	}
	for _, t := range r.s.Types {
		items = append(items, item{t.Pos, func() error {
			n := goName(t.Name)
			r.n.typ[t.Name] = n
			kind := "type"
			if t.Event {
				kind = "event"
			}
			return r.claim(sc, n, owner{fmt.Sprintf("%s %q", kind, t.Name), t.Pos})
		}})
	}
	for _, c := range r.s.Commands {
		// Arguments named as a type are that type; gen: false has no
		// generated marshalling.
		if len(c.Args) == 0 || c.ArgsType != "" || !c.Options.Gen {
			continue
		}
		items = append(items, item{c.Pos, func() error {
			n := goName(c.Name) + "Args"
			r.n.args[c] = n
			return r.claim(sc, n, owner{fmt.Sprintf("the arguments struct of command %q", c.Name), c.Pos})
		}})
	}
	sort.SliceStable(items, func(i, j int) bool { return before(items[i].pos, items[j].pos) })
	for _, it := range items {
		if err := it.claim(); err != nil {
			return err
		}
	}
	return nil
}

// enumTable is the unexported table of enum n's values.
func enumTable(n string) string {
	rs := []rune(n)
	rs[0] = unicode.ToLower(rs[0])
	return string(rs) + "Names"
}

// structs names the fields of every struct: a member's goName, or X and
// its goName when the struct has a method of that name (SignalMember on
// events, MarshalJSON on structs with required lists).
func (r *resolver) structs() error {
	one := func(what string, members []*schema.Member, methods []string) error {
		sc := newScope("the field %s of " + what)
		for _, m := range members {
			f := goName(m.Name)
			if slices.Index(methods, f) >= 0 {
				f = "X" + f
			}
			r.n.field[m] = f
			if err := r.claim(sc, f, owner{fmt.Sprintf("member %q", m.Name), m.Pos}); err != nil {
				return err
			}
		}
		return nil
	}
	for _, t := range r.s.Types {
		n := r.n.typ[t.Name]
		var methods []string
		what := fmt.Sprintf("type %q", t.Name)
		if t.Event {
			methods = append(methods, "SignalMember")
			what = fmt.Sprintf("event %q", t.Name)
		}
		if requiredList(t.Members) {
			r.n.marshal[n] = true
			methods = append(methods, "MarshalJSON")
		}
		if err := one(what, t.Members, methods); err != nil {
			return err
		}
	}
	for _, c := range r.s.Commands {
		n := r.n.args[c]
		if n == "" {
			continue
		}
		var methods []string
		if requiredList(c.Args) {
			r.n.marshal[n] = true
			methods = append(methods, "MarshalJSON")
		}
		if err := one(fmt.Sprintf("the arguments struct of command %q", c.Name), c.Args, methods); err != nil {
			return err
		}
	}
	return nil
}

func requiredList(ms []*schema.Member) bool {
	for _, m := range ms {
		if m.List && !m.Optional {
			return true
		}
	}
	return false
}

// client names Client's methods: each event's <Event>Connect and
// <Event>Disconnect, then one per command: its goName, or its goName and
// Command when Client already has that name (clientAPI, an event's
// method). Two commands of one goName are refused.
func (r *resolver) client() error {
	sc := newScope("the method %s of Client")
	for _, n := range clientAPI {
		sc.taken[n] = owner{what: "the Client's embedded *qmp.Client"}
	}
	for _, t := range r.s.Events() {
		n := r.n.typ[t.Name]
		what := fmt.Sprintf("event %q", t.Name)
		if err := r.claim(sc, n+"Connect", owner{"the connect method of " + what, t.Pos}); err != nil {
			return err
		}
		if err := r.claim(sc, n+"Disconnect", owner{"the disconnect method of " + what, t.Pos}); err != nil {
			return err
		}
	}
	has := map[string]bool{} // Client's methods and fields before the commands'
	for n := range sc.taken {
		has[n] = true
	}
	for _, c := range r.s.Commands {
		n := goName(c.Name)
		if has[n] {
			n += "Command"
		}
		r.n.method[c] = n
		if err := r.claim(sc, n, owner{fmt.Sprintf("command %q", c.Name), c.Pos}); err != nil {
			return err
		}
	}
	return nil
}

// params names each accessor's arguments as parameters: goName with a
// lower-case first letter, and Arg appended while that is a Go keyword,
// a predeclared or imported name, a name the generated bodies use, or an
// earlier argument's parameter. Parameter names are not API, so they are
// disambiguated rather than refused.
func (r *resolver) params() error {
	for _, c := range r.s.Accessors {
		used := map[string]bool{}
		for _, a := range c.Args {
			rs := []rune(goName(a.Name))
			rs[0] = unicode.ToLower(rs[0])
			p := string(rs)
			for reserved[p] || used[p] || token.IsKeyword(p) {
				p += "Arg"
			}
			used[p] = true
			r.n.param[a] = p
		}
	}
	return nil
}

// signals: the bus needs each event's accessor to be its own and its
// throttle key to have a value (NewSignals fails otherwise), and QMP
// clients tell events apart by wire name.
func (r *resolver) signals() error {
	acc := map[string]*schema.Type{}
	wire := map[string]*schema.Type{}
	for _, t := range r.s.Events() {
		a := signalbus.AccessorName(t.Name)
		if c := r.s.AccessorFor(t.Name); c != nil {
			a = c.Name
		}
		r.n.accName[t] = a
		if old := acc[a]; old != nil {
			return r.errf(t.Pos, "event %q: its signal accessor %s is also that of event %q (%s); give one an accessor of its own, or rename it", t.Name, a, old.Name, at(old.Pos))
		}
		acc[a] = t
		w := signalbus.WireName(t.Name)
		if old := wire[w]; old != nil {
			return r.errf(t.Pos, "event %q and event %q (%s) both become the QMP event %s; rename one", t.Name, old.Name, at(old.Pos), w)
		}
		wire[w] = t
		if err := r.throttleKey(t); err != nil {
			return err
		}
	}
	return nil
}

// throttleKey: the bus reads a throttle key from the accessor argument of
// that name, else from the event's SignalMember, which has no value for
// list, struct and any members: the bus would refuse the signal, and
// NewSignals would always fail.
func (r *resolver) throttleKey(t *schema.Type) error {
	th := r.s.ThrottleFor(t.Name)
	if th == nil || th.Key == "" {
		return nil
	}
	if acc := r.s.AccessorFor(t.Name); acc != nil {
		for _, a := range acc.Args {
			if a.Name == th.Key {
				return nil
			}
		}
	}
	for _, m := range t.Members {
		if m.Name == th.Key && (m.List || m.Type == "any" || r.s.Type(m.Type) != nil) {
			return r.errf(th.Pos, "throttle %s: key %q is a list, struct or any member, which has no value to key on (the bus refuses the signal); key on a str, int, bool, number or enum member, or on an accessor argument", t.Name, th.Key)
		}
	}
	return nil
}

// reserved are the names a generated parameter must not take: the
// predeclared identifiers, the imported packages, and the generated
// bodies' own names (receivers, parameters, locals).
var reserved = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`
		any bool byte comparable complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune string uint uint8 uint16 uint32 uint64 uintptr
		true false iota nil
		append cap clear close complex copy delete imag len make max min new panic print println real recover
		context json strconv time signalbus qmp schema errors
		ctx s c f h ev opts args slot err v out`) {
		reserved[w] = true
	}
}
