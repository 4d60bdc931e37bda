package qmp

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"strconv"

	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/schema"
	"github.com/pkg/errors"
)

// Handler runs one command inside the session's actor. It must not block:
// ctx is an InActor context, so bus calls made with it never wait. A
// handler that panics gets a GenericError response and the session goes
// on (Server.HandlerPanics counts them).
type Handler func(ctx context.Context, s *Conn, call *Call) (any, error)

// Command is a command the server accepts.
type Command struct {
	Name    string
	Args    []*schema.Member // checked before the handler runs (types, missing, unexpected)
	Returns string           // for query-qmp-schema
	// Negotiation: accepted in capabilities-negotiation mode too.
	Negotiation bool
	// OnlyNegotiation: accepted only there (qmp_capabilities).
	OnlyNegotiation bool
	Handler         Handler
	// Signal is the signal of a generated -connect/-disconnect command.
	Signal signalbus.SignalRef
	// Flush: the events the handler emits are written before its
	// response, return or error (application commands).
	Flush bool
	// check, if set, checks the arguments further once the declared
	// members have passed (a builtin's enum values without a schema).
	check func(args json.RawMessage) *Error
}

// Registry is the set of commands of a server, and the schema their
// argument types come from.
type Registry struct {
	schema *schema.Schema
	byName map[string]*Command
	order  []string
}

// NewRegistry returns an empty registry whose argument types resolve in s
// (which may be nil when only builtin types are used).
func NewRegistry(s *schema.Schema) *Registry {
	return &Registry{schema: s, byName: map[string]*Command{}}
}

// Add registers c; a name may be registered once.
func (r *Registry) Add(c *Command) error {
	if c == nil || c.Name == "" || c.Handler == nil {
		return errors.New("qmp: register: a command needs a name and a handler")
	}
	if _, dup := r.byName[c.Name]; dup {
		return errors.Errorf("qmp: register %s: already registered", c.Name)
	}
	for _, m := range c.Args {
		if !schema.Builtins[m.Type] && (r.schema == nil || r.schema.Lookup(m.Type) == nil) {
			return errors.Errorf("qmp: register %s: argument %s has unknown type %q", c.Name, m.Name, m.Type)
		}
	}
	r.byName[c.Name] = c
	r.order = append(r.order, c.Name)
	return nil
}

// Lookup returns the command called name, or nil.
func (r *Registry) Lookup(name string) *Command { return r.byName[name] }

// Names returns the command names, sorted.
func (r *Registry) Names() []string {
	out := append([]string(nil), r.order...)
	sort.Strings(out)
	return out
}

// checkArgs type-checks args against cmd.Args in QEMU's way: each
// declared member in order (missing, wrong type), then unexpected ones.
func (r *Registry) checkArgs(cmd *Command, args json.RawMessage) *Error {
	if err := r.checkObject(cmd.Args, args, ""); err != nil {
		return err
	}
	if cmd.check != nil {
		return cmd.check(args)
	}
	return nil
}

func (r *Registry) checkObject(decl []*schema.Member, raw json.RawMessage, prefix string) *Error {
	members, err := objectMembers(raw)
	if err != nil {
		return Errorf("Invalid JSON object: %v", err)
	}
	got := map[string]json.RawMessage{}
	for _, mb := range members {
		got[mb.Key] = mb.Value
	}
	for _, d := range decl {
		v, ok := got[d.Name]
		if !ok {
			if d.Optional {
				continue
			}
			return Errorf("Parameter '%s' is missing", prefix+d.Name)
		}
		if e := r.checkValue(d, v, prefix+d.Name); e != nil {
			return e
		}
	}
	for _, mb := range members {
		known := false
		for _, d := range decl {
			known = known || d.Name == mb.Key
		}
		if !known {
			return Errorf("Parameter '%s' is unexpected", prefix+mb.Key)
		}
	}
	return nil
}

func (r *Registry) checkValue(d *schema.Member, v json.RawMessage, path string) *Error {
	if d.List {
		var elems []json.RawMessage
		if len(v) == 0 || v[0] != '[' || json.Unmarshal(v, &elems) != nil {
			return Errorf("Invalid parameter type for '%s', expected: array", path)
		}
		one := *d
		one.List = false
		for i, e := range elems {
			if err := r.checkValue(&one, e, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		return nil
	}
	first := byte(0)
	if t := bytes.TrimSpace(v); len(t) > 0 {
		first = t[0]
	}
	switch d.Type {
	case "any":
		return nil
	case "str":
		if first != '"' {
			return Errorf("Invalid parameter type for '%s', expected: string", path)
		}
		return nil
	case "bool":
		if s := string(bytes.TrimSpace(v)); s != "true" && s != "false" {
			return Errorf("Invalid parameter type for '%s', expected: boolean", path)
		}
		return nil
	case "int":
		if _, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64); err != nil {
			return Errorf("Invalid parameter type for '%s', expected: integer", path)
		}
		return nil
	case "number":
		if _, err := strconv.ParseFloat(string(bytes.TrimSpace(v)), 64); err != nil {
			return Errorf("Invalid parameter type for '%s', expected: number", path)
		}
		return nil
	}
	if r.schema != nil {
		if e := r.schema.Enum(d.Type); e != nil {
			var s string
			if first != '"' || json.Unmarshal(v, &s) != nil {
				return Errorf("Invalid parameter type for '%s', expected: string", path)
			}
			for _, val := range e.Values {
				if val == s {
					return nil
				}
			}
			return Errorf("Parameter '%s' does not accept value '%s'", path, s)
		}
		if t := r.schema.Type(d.Type); t != nil {
			if first != '{' {
				return Errorf("Invalid parameter type for '%s', expected: object", path)
			}
			return r.checkObject(t.Members, v, path+".")
		}
	}
	return Errorf("Parameter '%s' has unknown type %s", path, d.Type)
}
