// Package schema parses the QAPI events proposal's schema notation (JSON
// with single-quoted strings and # comments), one top-level expression
// after another:
//
//	{ 'BlockIOEvent': { 'device': 'str', 'action': 'str' } }   a type; the Event suffix makes it an event
//	{ 'BlockDeviceAction': [ 'report', 'stop', 'none' ] }     an enum
//	[ 'block-device-event', { 'device': 'str' }, {}, 'BlockDeviceEvent' ]
//	                                                          a function; returning an event makes it a signal accessor
//
// Member types are str, int, bool, number, any (any JSON value), an enum,
// a type, or a list of one of those ([ 'str' ]); a member name starting
// with '*' is optional ('x' and '*x' in one object are one member
// declared twice, and refused). An accessor's arguments are str, int or bool,
// and two names are refused for them, as signalbus/qmp could not serve
// them: tag (ReservedArg), which the proposal's <accessor>-disconnect
// takes beside them, and the name of a member of the accessor's event,
// since an event's data holds the arguments it was emitted for and the
// event's members in one JSON object (the argument names the object, and
// the data carries it: the event needs no member for it).
// A function's arguments may also be the name of a type, whose members
// they are ([ 'f', 'FArgs' ]), and its options are QAPI's command flags,
// as modern QEMU spells them (see CommandOptions):
//
//	[ 'guest-shutdown', {}, { 'success-response': false } ]
//
// One extension declares throttling (the proposal has none; QEMU
// hard-codes it):
//
//	{ 'throttle': 'BlockIOEvent', 'period-ms': 1000, 'key': 'device', 'exempt': { 'action': [ 'stop' ] } }
//
// An event has at most one throttle rule. Its key and exempt members are
// arguments of its accessor or members of the event; an exempt value must
// be one the member can take, as the event prints it (an enum's value,
// true or false, a decimal int, a number in Go's shortest form, any
// string).
//
// QEMU's own schema expressions ({ 'event': 'FOO', 'data': {...} },
// 'struct', 'enum', 'command', 'union', 'alternate', 'include',
// 'pragma') are not this notation; they are refused with an error saying
// how the notation writes the thing.
//
// Errors carry the line and column of the offending token.
package schema

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Schema is a parsed schema.
type Schema struct {
	Types     []*Type
	Enums     []*Enum
	Commands  []*Command // functions that do not return an event
	Accessors []*Command // signal accessors: functions returning an event
	Throttles []*Throttle
	byName    map[string]any
}

// Type is a structure or an event.
type Type struct {
	Name    string
	Members []*Member
	Event   bool // the name ends in Event
	Pos     Pos
}

// Member is one member of a type, or one argument of a function.
type Member struct {
	Name     string
	Type     string // str, int, bool, number, or a schema type or enum name
	List     bool
	Optional bool
	Pos      Pos // of the name
	TypePos  Pos // of the type
}

// Enum is an enumeration.
type Enum struct {
	Name   string
	Values []string
	Pos    Pos
}

// Command is a function: [ name, args, options, returns ]. The
// arguments are an object of members, or the name of a (non-event) type
// whose members they are (ArgsType); the options are QAPI's command flags
// (see CommandOptions).
type Command struct {
	Name string
	Args []*Member // with ArgsType, copies of that type's members
	// ArgsType names the type the arguments are, when written as a type
	// name; empty when written as an object.
	ArgsType   string
	ArgsPos    Pos            // of the arguments element; zero when omitted
	Options    CommandOptions // the defaults when omitted
	Returns    string         // a type, enum, builtin, or 'none'; empty when omitted
	List       bool           // returns a list
	ReturnsPos Pos            // of the return type; zero when omitted
	Pos        Pos
}

// Throttle is a throttle declaration for an event.
type Throttle struct {
	Event    string
	PeriodMS int64
	Key      string
	Exempt   map[string][]string
	Pos      Pos
	// exempted are the exempt members in source order, also those listed
	// with no values (which Exempt leaves out), so that each is checked.
	exempted []string
}

// maxPeriodMS is the longest throttle period, in milliseconds, that a
// time.Duration holds.
const maxPeriodMS = int64(math.MaxInt64 / time.Millisecond)

// Builtins are the scalar member types.
var Builtins = map[string]bool{"str": true, "int": true, "bool": true, "number": true, "any": true}

// Lookup returns the type, enum or command named name.
func (s *Schema) Lookup(name string) any { return s.byName[name] }

// Type returns the type named name, or nil.
func (s *Schema) Type(name string) *Type { t, _ := s.byName[name].(*Type); return t }

// Enum returns the enum named name, or nil.
func (s *Schema) Enum(name string) *Enum { e, _ := s.byName[name].(*Enum); return e }

// Events returns the event types, in source order.
func (s *Schema) Events() []*Type {
	var out []*Type
	for _, t := range s.Types {
		if t.Event {
			out = append(out, t)
		}
	}
	return out
}

// AccessorFor returns the signal accessor of event name, or nil.
func (s *Schema) AccessorFor(event string) *Command {
	for _, a := range s.Accessors {
		if a.Returns == event {
			return a
		}
	}
	return nil
}

// ThrottleFor returns event name's throttle declaration, or nil.
func (s *Schema) ThrottleFor(event string) *Throttle {
	for _, t := range s.Throttles {
		if t.Event == event {
			return t
		}
	}
	return nil
}

// Parse parses src; file names it in errors.
func Parse(file, src string) (*Schema, error) {
	l := &lexer{file: file, src: src, line: 1, col: 1}
	s := &Schema{byName: map[string]any{}}
	var pending []*value
	for l.skip() {
		v, err := l.value(0)
		if err != nil {
			return nil, err
		}
		pending = append(pending, v)
	}
	for _, v := range pending {
		if err := s.declare(l, v); err != nil {
			return nil, err
		}
	}
	if err := s.check(l); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Schema) define(l *lexer, name string, p Pos, d any) error {
	if name == "" {
		return l.errf(p, "empty name")
	}
	if old, dup := s.byName[name]; dup {
		op := posOf(old)
		return l.errf(p, "%q is already defined at %d:%d", name, op.Line, op.Col)
	}
	s.byName[name] = d
	return nil
}

func posOf(d any) Pos {
	switch x := d.(type) {
	case *Type:
		return x.Pos
	case *Enum:
		return x.Pos
	case *Command:
		return x.Pos
	}
	return Pos{}
}

func (s *Schema) declare(l *lexer, v *value) error {
	switch v.kind {
	case 'o':
		if slices.Contains(v.keys, "throttle") { // in any position
			return s.throttle(l, v)
		}
		if len(v.keys) != 1 {
			if err := qemuExpression(l, v); err != nil {
				return err
			}
			return l.errf(v.pos, "a type or enum declaration has exactly one member, this one has %d", len(v.keys))
		}
		name, body, np := v.keys[0], v.vals[0], v.kpos[0]
		switch body.kind {
		case 'o':
			members, err := membersOf(l, name, body)
			if err != nil {
				if name == "pragma" { // QEMU's pragmas are not member lists
					return qemuExpression(l, v)
				}
				return err
			}
			t := &Type{Name: name, Members: members, Event: strings.HasSuffix(name, "Event"), Pos: np}
			s.Types = append(s.Types, t)
			return s.define(l, name, np, t)
		case 'a':
			e := &Enum{Name: name, Pos: np}
			seen := map[string]bool{}
			for _, el := range body.vals {
				if el.kind != 's' {
					return l.errf(el.pos, "enum %s: value is %s, want a string", name, el.what())
				}
				if seen[el.str] {
					return l.errf(el.pos, "enum %s: duplicate value %q", name, el.str)
				}
				seen[el.str] = true
				if el.str == "" {
					return l.errf(el.pos, "enum %s: empty value", name)
				}
				e.Values = append(e.Values, el.str)
			}
			if len(e.Values) == 0 {
				return l.errf(body.pos, "enum %s has no values", name)
			}
			s.Enums = append(s.Enums, e)
			return s.define(l, name, np, e)
		default:
			if err := qemuExpression(l, v); err != nil {
				return err
			}
			return l.errf(body.pos, "%s: expecting an object (type) or a list (enum), found %s", name, body.what())
		}
	case 'a':
		return s.function(l, v)
	default:
		return l.errf(v.pos, "expecting an object or a list at top level, found %s", v.what())
	}
}

// membersOf reads the members of owner (a type, or a function's
// arguments) from object o. The lexer refuses a key written twice; 'x'
// and '*x' are two keys but one member declared twice, once required and
// once optional, and are refused here.
func membersOf(l *lexer, owner string, o *value) ([]*Member, error) {
	var out []*Member
	first := map[string]*Member{}
	for i, k := range o.keys {
		m := &Member{Name: k, Pos: o.kpos[i]}
		if strings.HasPrefix(k, "*") {
			m.Name, m.Optional = k[1:], true
		}
		if m.Name == "" {
			return nil, l.errf(o.kpos[i], "empty member name")
		}
		if old := first[m.Name]; old != nil {
			return nil, l.errf(m.Pos, "%s: member '%s' is declared twice (first at %d:%d): a member is either required ('%s') or optional ('*%s'), once",
				owner, m.Name, old.Pos.Line, old.Pos.Col, m.Name, m.Name)
		}
		first[m.Name] = m
		t := o.vals[i]
		if t.kind == 'a' {
			if len(t.vals) != 1 || t.vals[0].kind != 's' {
				return nil, l.errf(t.pos, "member %s: a list type is [ 'Type' ]", m.Name)
			}
			m.List, t = true, t.vals[0]
		}
		if t.kind != 's' {
			return nil, l.errf(t.pos, "member %s: type is %s, want a type name", m.Name, t.what())
		}
		m.Type, m.TypePos = t.str, t.pos
		out = append(out, m)
	}
	return out, nil
}

func (s *Schema) function(l *lexer, v *value) error {
	if len(v.vals) < 1 || len(v.vals) > 4 {
		return l.errf(v.pos, "a function is [ 'name', {args}, {options}, 'Returns' ], found %d elements", len(v.vals))
	}
	if v.vals[0].kind != 's' {
		return l.errf(v.vals[0].pos, "function name is %s, want a string", v.vals[0].what())
	}
	c := &Command{Name: v.vals[0].str, Pos: v.vals[0].pos, Options: defaultOptions()}
	if len(v.vals) > 1 {
		a := v.vals[1]
		c.ArgsPos = a.pos
		switch a.kind {
		case 'o':
			ms, err := membersOf(l, c.Name, a)
			if err != nil {
				return err
			}
			c.Args = ms
		case 's':
			if a.str == "" {
				return l.errf(a.pos, "function %s: empty argument type name", c.Name)
			}
			c.ArgsType = a.str // its members are copied in by check
		default:
			return l.errf(a.pos, "function %s: arguments are %s, want an object or a type name", c.Name, a.what())
		}
	}
	if len(v.vals) > 2 {
		o := v.vals[2]
		if o.kind != 'o' {
			return l.errf(o.pos, "function %s: options are %s, want an object", c.Name, o.what())
		}
		if err := options(l, c, o); err != nil {
			return err
		}
	}
	if len(v.vals) == 4 {
		r := v.vals[3]
		if r.kind == 'a' && len(r.vals) == 1 && r.vals[0].kind == 's' {
			c.List, r = true, r.vals[0]
		}
		if r.kind != 's' {
			return l.errf(r.pos, "function %s: return type is %s, want a type name", c.Name, r.what())
		}
		c.Returns, c.ReturnsPos = r.str, r.pos
	}
	return s.define(l, c.Name, c.Pos, c)
}

func (s *Schema) throttle(l *lexer, v *value) error {
	t := &Throttle{Pos: v.pos, Exempt: map[string][]string{}}
	for i, k := range v.keys {
		val := v.vals[i]
		switch k {
		case "throttle", "key":
			if val.kind != 's' {
				return l.errf(val.pos, "throttle: %s is %s, want a string", k, val.what())
			}
			if k == "throttle" {
				t.Event = val.str
			} else {
				t.Key = val.str
			}
		case "period-ms":
			if val.kind != 'n' || val.num <= 0 || val.num > maxPeriodMS {
				return l.errf(val.pos, "throttle: period-ms must be a positive number of milliseconds, at most %d (what a time.Duration holds)", maxPeriodMS)
			}
			t.PeriodMS = val.num
		case "exempt":
			if val.kind != 'o' {
				return l.errf(val.pos, "throttle: exempt is %s, want an object", val.what())
			}
			t.exempted = append(t.exempted, val.keys...)
			for j, mk := range val.keys {
				lst := val.vals[j]
				if lst.kind != 'a' {
					return l.errf(lst.pos, "throttle: exempt %s is %s, want a list of strings", mk, lst.what())
				}
				for _, el := range lst.vals {
					if el.kind != 's' {
						return l.errf(el.pos, "throttle: exempt %s: value is %s, want a string", mk, el.what())
					}
					t.Exempt[mk] = append(t.Exempt[mk], el.str)
				}
			}
		default:
			return l.errf(v.kpos[i], "throttle: unknown key %q (want throttle, period-ms, key, exempt)", k)
		}
	}
	if t.PeriodMS == 0 {
		return l.errf(v.pos, "throttle %s: period-ms is missing", t.Event)
	}
	if old := s.ThrottleFor(t.Event); old != nil {
		return l.errf(v.pos, "throttle %s: the event is already throttled at %d:%d", t.Event, old.Pos.Line, old.Pos.Col)
	}
	s.Throttles = append(s.Throttles, t)
	return nil
}

// check resolves every type reference and sorts functions into commands
// and signal accessors.
func (s *Schema) check(l *lexer) error {
	known := func(name string) bool {
		if Builtins[name] {
			return true
		}
		switch s.byName[name].(type) {
		case *Type, *Enum:
			return true
		}
		return false
	}
	for _, t := range s.Types {
		for _, m := range t.Members {
			if !known(m.Type) {
				return l.errf(m.TypePos, "%s.%s: %s", t.Name, m.Name, unknownType("type", m.Type))
			}
		}
	}
	names := make([]string, 0, len(s.byName))
	for n := range s.byName { //detguard:unordered sorted below
		names = append(names, n)
	}
	sort.Strings(names)
	var fns []*Command
	for _, n := range names {
		if c, ok := s.byName[n].(*Command); ok {
			fns = append(fns, c)
		}
	}
	sort.Slice(fns, func(i, j int) bool {
		a, b := fns[i].Pos, fns[j].Pos
		return a.Line < b.Line || (a.Line == b.Line && a.Col < b.Col)
	})
	for _, c := range fns {
		if c.ArgsType != "" {
			at := s.Type(c.ArgsType)
			if at == nil || at.Event {
				return l.errf(c.ArgsPos, "%s: argument type %q is not a type (a struct declared in the schema, not an event)", c.Name, c.ArgsType)
			}
			for _, m := range at.Members {
				cp := *m
				c.Args = append(c.Args, &cp)
			}
		}
		for _, m := range c.Args {
			if !known(m.Type) {
				return l.errf(m.TypePos, "%s: argument %s: %s", c.Name, m.Name, unknownType("type", m.Type))
			}
		}
		if c.Returns != "" && c.Returns != "none" && !known(c.Returns) {
			return l.errf(c.ReturnsPos, "%s: %s", c.Name, unknownType("return type", c.Returns))
		}
		if t := s.Type(c.Returns); t != nil && t.Event {
			if c.List {
				return l.errf(c.ReturnsPos, "%s: a signal accessor returns one event, not a list", c.Name)
			}
			for _, m := range c.Args {
				if m.List || (m.Type != "str" && m.Type != "int" && m.Type != "bool") {
					return l.errf(m.TypePos, "%s: accessor argument %s must be str, int or bool", c.Name, m.Name)
				}
			}
			if err := s.checkAccessorNames(l, c, t); err != nil {
				return err
			}
			if other := s.AccessorFor(t.Name); other != nil {
				return l.errf(c.Pos, "%s: event %s already has the accessor %s", c.Name, t.Name, other.Name)
			}
			if err := s.checkOptions(l, c, true); err != nil {
				return err
			}
			s.Accessors = append(s.Accessors, c)
			continue
		}
		if err := s.checkOptions(l, c, false); err != nil {
			return err
		}
		s.Commands = append(s.Commands, c)
	}
	for _, th := range s.Throttles {
		t := s.Type(th.Event)
		if t == nil || !t.Event {
			return l.errf(th.Pos, "throttle: %q is not an event", th.Event)
		}
		acc := s.AccessorFor(t.Name)
		// An accessor argument first, then a member: the order the bus
		// reads them in.
		member := func(name string) *Member {
			if acc != nil {
				for _, m := range acc.Args {
					if m.Name == name {
						return m
					}
				}
			}
			for _, m := range t.Members {
				if m.Name == name {
					return m
				}
			}
			return nil
		}
		if th.Key != "" && member(th.Key) == nil {
			return l.errf(th.Pos, "throttle %s: key %q is neither a member nor an accessor argument", t.Name, th.Key)
		}
		for _, k := range th.exempted {
			m := member(k)
			if m == nil {
				return l.errf(th.Pos, "throttle %s: exempt member %q is neither a member nor an accessor argument", t.Name, k)
			}
			if err := s.exemptable(m); err != "" {
				return l.errf(th.Pos, "throttle %s: exempt %s: %s", t.Name, k, err)
			}
			for _, val := range th.Exempt[k] {
				if err := s.exemptValue(m, val); err != "" {
					return l.errf(th.Pos, "throttle %s: exempt %s: %s", t.Name, k, err)
				}
			}
		}
	}
	return nil
}

// exemptable says why member m cannot be exempted by value (an
// exemption compares a member's text with its listed values), or "".
func (s *Schema) exemptable(m *Member) string {
	if m.List {
		return "a list member cannot be exempted by value"
	}
	switch {
	case s.Enum(m.Type) != nil, m.Type == "str", m.Type == "bool", m.Type == "int", m.Type == "number":
		return ""
	}
	return ""
}

// exemptValue says why val can never be the value of member m, which is
// exemptable, or "".
func (s *Schema) exemptValue(m *Member, val string) string {
	if e := s.Enum(m.Type); e != nil {
		if !slices.Contains(e.Values, val) {
			return strconv.Quote(val) + " is not a value of enum " + e.Name
		}
		return ""
	}
	switch m.Type {
	case "bool":
		if val != "true" && val != "false" {
			return strconv.Quote(val) + " is not a bool (true or false)"
		}
		return ""
	case "int":
		if n, err := strconv.ParseInt(val, 10, 64); err != nil || strconv.FormatInt(n, 10) != val {
			return strconv.Quote(val) + " is not an int as events print it (42, -7)"
		}
		return ""
	case "number":
		f, err := strconv.ParseFloat(val, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || strconv.FormatFloat(f, 'g', -1, 64) != val {
			return strconv.Quote(val) + " is not a number as events print it (1.5, -2, 1e+21)"
		}
	}
	return "" // a str takes any value
}
