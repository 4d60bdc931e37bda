package schema

import (
	"sort"
	"strings"
)

// Feature is one of a command's features ('deprecated', 'unstable', or
// the schema's own).
type Feature struct {
	Name string
	Pos  Pos
}

// CommandOptions are a function's third element, its options: QAPI's
// command flags, written as modern QEMU writes them on a command
// (docs/devel/qapi-code-gen.rst, "Commands"), with the same names, types
// and defaults:
//
//	[ 'guest-shutdown', {}, { 'success-response': false } ]
//	[ 'query-status', {}, { 'allow-oob': true, 'features': [ 'unstable' ] }, 'str' ]
//	[ 'blockdev-add', 'BlockdevOptions', { 'boxed': true } ]
//	[ 'device_add', { 'driver': 'str' }, { 'gen': false } ]
//
// The proposal's notation leaves the element's contents undocumented
// ({} everywhere); QEMU's 'if' conditionals are not supported.
type CommandOptions struct {
	// SuccessResponse ('success-response', default true): false, the
	// server sends no reply when the command succeeds, only errors; the
	// command then returns nothing.
	SuccessResponse bool
	// AllowOOB ('allow-oob'): the command may run out of band (exec-oob).
	AllowOOB bool
	// AllowPreconfig ('allow-preconfig'): the command is allowed before
	// the machine is configured.
	AllowPreconfig bool
	// Coroutine ('coroutine'): the server runs the command in a coroutine.
	Coroutine bool
	// Boxed ('boxed'): the arguments are one value of the struct type
	// that names them (ArgsType), not its members one by one.
	Boxed bool
	// Gen ('gen', default true): false, no marshalling is generated for
	// the command; its arguments and return are handled by hand.
	Gen bool
	// Features ('features'): a list of feature names, each a string or
	// { 'name': 'x' }.
	Features []Feature
	// Keys holds the position of each option written, by name.
	Keys map[string]Pos
}

// defaultOptions are the options of a function that writes none.
func defaultOptions() CommandOptions { return CommandOptions{SuccessResponse: true, Gen: true} }

// HasFeature reports whether the command has the feature name.
func (o *CommandOptions) HasFeature(name string) bool {
	for _, f := range o.Features {
		if f.Name == name {
			return true
		}
	}
	return false
}

// optionNames are the options a function accepts, as errors list them.
const optionNames = "success-response, allow-oob, allow-preconfig, coroutine, boxed, gen, features"

// options parses function c's options object o into c.Options.
func options(l *lexer, c *Command, o *value) error {
	c.Options = defaultOptions()
	c.Options.Keys = map[string]Pos{}
	for i, k := range o.keys {
		val, kp := o.vals[i], o.kpos[i]
		var flag *bool
		switch k {
		case "success-response":
			flag = &c.Options.SuccessResponse
		case "allow-oob":
			flag = &c.Options.AllowOOB
		case "allow-preconfig":
			flag = &c.Options.AllowPreconfig
		case "coroutine":
			flag = &c.Options.Coroutine
		case "boxed":
			flag = &c.Options.Boxed
		case "gen":
			flag = &c.Options.Gen
		case "features":
			fs, err := features(l, c.Name, val)
			if err != nil {
				return err
			}
			c.Options.Features = fs
		case "if":
			return l.errf(kp, "function %s: option \"if\" (a QAPI conditional) is not supported", c.Name)
		default:
			hint := ""
			if strings.HasPrefix(k, "*") || (val.kind == 's' && (Builtins[val.str] || val.str == "none")) {
				hint = "; an optional argument is written '*name' among the arguments"
			}
			return l.errf(kp, "function %s: unknown option %q (want %s)%s", c.Name, k, optionNames, hint)
		}
		if flag != nil {
			if val.kind != 'b' {
				return l.errf(val.pos, "function %s: option %q is %s, want true or false", c.Name, k, val.what())
			}
			*flag = val.num != 0
		}
		c.Options.Keys[k] = kp
	}
	return nil
}

// features parses a 'features' list: names, or objects { 'name': 'x' }.
func features(l *lexer, fn string, v *value) ([]Feature, error) {
	if v.kind != 'a' {
		return nil, l.errf(v.pos, "function %s: option \"features\" is %s, want a list of feature names", fn, v.what())
	}
	var out []Feature
	for _, el := range v.vals {
		f := Feature{Name: el.str, Pos: el.pos}
		switch el.kind {
		case 's':
		case 'o':
			f.Name = ""
			for j, k := range el.keys {
				nv := el.vals[j]
				if k != "name" {
					return nil, l.errf(el.kpos[j], "function %s: feature: unknown key %q (want name)", fn, k)
				}
				if nv.kind != 's' {
					return nil, l.errf(nv.pos, "function %s: feature name is %s, want a string", fn, nv.what())
				}
				f.Name, f.Pos = nv.str, nv.pos
			}
			if len(el.keys) == 0 {
				return nil, l.errf(el.pos, "function %s: feature has no name", fn)
			}
		default:
			return nil, l.errf(el.pos, "function %s: feature is %s, want a name or { 'name': ... }", fn, el.what())
		}
		if f.Name == "" {
			return nil, l.errf(f.Pos, "function %s: empty feature name", fn)
		}
		for _, old := range out {
			if old.Name == f.Name {
				return nil, l.errf(f.Pos, "function %s: duplicate feature %q (first at %d:%d)", fn, f.Name, old.Pos.Line, old.Pos.Col)
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// checkOptions checks what c's options say against the rest of c once
// types are known: boxed needs the arguments to name a type, a command
// without a success reply returns nothing, and a signal accessor (accessor
// true) takes no options (its connect and disconnect are the bus's).
func (s *Schema) checkOptions(l *lexer, c *Command, accessor bool) error {
	o := &c.Options
	if accessor {
		if ks := sortedKeys(o.Keys); len(ks) > 0 {
			return l.errf(o.Keys[ks[0]], "%s: option %q does not apply to a signal accessor (a function returning an event)", c.Name, ks[0])
		}
		return nil
	}
	if o.Boxed && c.ArgsType == "" {
		return l.errf(o.Keys["boxed"], "%s: 'boxed': true requires the arguments to be a type name, as [ '%s', 'ArgsType', { 'boxed': true } ]", c.Name, c.Name)
	}
	if !o.SuccessResponse && c.Returns != "" && c.Returns != "none" {
		return l.errf(o.Keys["success-response"], "%s: 'success-response': false, so no reply carries its return type %q; drop the return type or write 'none'", c.Name, c.Returns)
	}
	return nil
}

// sortedKeys returns the keys of m by position, so that the first
// written is reported.
func sortedKeys(m map[string]Pos) []string {
	keys := make([]string, 0, len(m))
	for k := range m { //detguard:unordered sorted below
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return before(m[keys[i]], m[keys[j]]) })
	return keys
}

func before(a, b Pos) bool { return a.Line < b.Line || (a.Line == b.Line && a.Col < b.Col) }
