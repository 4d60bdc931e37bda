package qmp

import (
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"

	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/schema"
	"github.com/pkg/errors"
)

// accessorArgs are the accessor arguments of an explicit connection, by
// name, rendered as the bus compares them (argString).
type accessorArgs map[string]string

// signalCommands registers <accessor>-connect and <accessor>-disconnect.
// As the proposal has it, both take the accessor's arguments, which name
// the signal object; disconnect also takes the tag. On disconnect they
// may be left out (the tag alone names a connection: handles are unique
// on the bus and scoped to the session), but those given must be the
// ones the connection was made with: a tag is not a connection of
// another object.
func (s *Server) signalCommands(sig signalbus.SignalRef) error {
	info := sig.Info()
	if err := s.checkMemberNames(info); err != nil {
		return err
	}
	if err := checkGoMembers(info, sig.EventType()); err != nil {
		return err
	}
	var args []*schema.Member
	for _, a := range info.Args {
		args = append(args, &schema.Member{Name: a.Name, Type: a.Type, Optional: a.Optional})
	}
	connect := &Command{Name: info.Accessor + "-connect", Args: args, Returns: "str", Signal: sig,
		Handler: func(ctx context.Context, c *Conn, call *Call) (any, error) {
			given, err := givenArgs(info, call.Args)
			if err != nil {
				return nil, err
			}
			var opts []signalbus.ConnectOption
			for _, a := range info.Args {
				if v, ok := given[a.Name]; ok {
					opts = append(opts, signalbus.Arg(a.Name, v))
				}
			}
			h, err := c.sess.Connect(sig, opts...)
			if err != nil {
				return nil, Errorf("%v", err)
			}
			if c.accessorArgs == nil {
				c.accessorArgs = map[signalbus.Handle]accessorArgs{}
			}
			c.accessorArgs[h] = given
			return string(h), nil
		}}
	dargs := []*schema.Member{{Name: "tag", Type: "str"}}
	for _, a := range args {
		opt := *a
		opt.Optional = true
		dargs = append(dargs, &opt)
	}
	disconnect := &Command{Name: info.Accessor + "-disconnect", Args: dargs, Returns: "none", Signal: sig,
		Handler: func(ctx context.Context, c *Conn, call *Call) (any, error) {
			var a struct {
				Tag string `json:"tag"`
			}
			if err := call.Decode(&a); err != nil {
				return nil, err
			}
			h := signalbus.Handle(a.Tag)
			given, err := givenArgs(info, call.Args)
			if err != nil {
				return nil, err
			}
			unknown := Errorf("Unknown tag '%s' for %s%s", a.Tag, info.Accessor, describeArgs(info, given))
			owner, ok := c.sess.Owns(h)
			if !ok || owner.Info() != info {
				if !ok {
					delete(c.accessorArgs, h) // gone (its signal closed, say)
				}
				return nil, unknown
			}
			// A connection this session made in-process (Conn.Session)
			// has no record: its arguments cannot be checked.
			if made, recorded := c.accessorArgs[h]; recorded {
				for _, arg := range info.Args {
					v, ok := given[arg.Name]
					if w, had := made[arg.Name]; ok && (!had || v != w) {
						return nil, unknown
					}
				}
			}
			if err := c.sess.Disconnect(ctx, h); err != nil {
				if errors.Is(err, signalbus.ErrUnknownHandle) {
					delete(c.accessorArgs, h)
					return nil, unknown
				}
				return nil, Errorf("%v", err)
			}
			delete(c.accessorArgs, h)
			return nil, nil
		}}
	if err := s.reg.Add(connect); err != nil {
		return err
	}
	return s.reg.Add(disconnect)
}

// checkMemberNames refuses a signal whose generated commands or event
// data would have one member name twice, as QAPI's generator refuses a
// schema where two members of one object clash: an accessor argument
// named tag (<accessor>-disconnect takes the tag beside the arguments),
// an argument named twice, or an argument named like a member of the
// event in the server's schema (an event's data holds both).
func (s *Server) checkMemberNames(info *signalbus.SignalInfo) error {
	seen := map[string]bool{}
	for _, a := range info.Args {
		switch {
		case a.Name == schema.ReservedArg:
			return errors.Errorf("qmp: signal %s: accessor %s has an argument named '%s', which %s-disconnect cannot tell from the connection's tag", info.Name, info.Accessor, a.Name, info.Accessor)
		case seen[a.Name]:
			return errors.Errorf("qmp: signal %s: accessor %s has the argument '%s' twice", info.Name, info.Accessor, a.Name)
		}
		seen[a.Name] = true
	}
	if s.schema == nil {
		return nil
	}
	if t := s.schema.Type(info.Name); t != nil {
		for _, m := range t.Members {
			if seen[m.Name] {
				return errors.Errorf("qmp: signal %s: event member '%s' has the name of an argument of accessor %s; the event's data holds both, and a name may be there once", info.Name, m.Name, info.Accessor)
			}
		}
	}
	return nil
}

// checkGoMembers refuses a signal whose Go event type t has a member
// (as the event's data will have it: encoding/json's rules, which the
// writer follows) named like one of the accessor's arguments: the data
// holds the arguments and the members in one object, where the member's
// value would replace the argument's. A type whose members cannot be
// known before (not a struct, or one with its own MarshalJSON or
// MarshalText) is not checked.
func checkGoMembers(info *signalbus.SignalInfo, t reflect.Type) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct || len(info.Args) == 0 {
		return nil
	}
	if ti := typeInfo(t); ti.marshaler || ti.ptrMarshaler || ti.text || ti.ptrText {
		return nil
	}
	for _, f := range structFields(t) {
		for _, a := range info.Args {
			if f.name == a.Name {
				return errors.Errorf("qmp: signal %s: field %s of its event type %v is the member '%s' of the event's data, which also holds the argument '%s' of accessor %s; the member's value would replace the argument's: rename one (a json tag names the member)",
					info.Name, fieldPath(t, f.index), t, f.name, a.Name, info.Accessor)
			}
		}
	}
	return nil
}

// fieldPath names the field at index in struct t, through the embedded
// structs on the way: deviceInner.Device.
func fieldPath(t reflect.Type, index []int) string {
	var names []string
	for _, i := range index {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		f := t.Field(i)
		names = append(names, f.Name)
		t = f.Type
	}
	return strings.Join(names, ".")
}

// givenArgs returns the accessor arguments present in the checked
// arguments raw, rendered as the bus compares them.
func givenArgs(info *signalbus.SignalInfo, raw json.RawMessage) (accessorArgs, error) {
	members, err := objectMembers(raw)
	if err != nil {
		return nil, Errorf("Invalid arguments: %v", err)
	}
	given := accessorArgs{}
	for _, a := range info.Args {
		for _, m := range members {
			if m.Key != a.Name {
				continue
			}
			v, err := argString(a.Type, m.Value)
			if err != nil {
				return nil, Errorf("Invalid parameter type for '%s': %v", a.Name, err)
			}
			given[a.Name] = v
		}
	}
	return given, nil
}

// describeArgs renders the given accessor arguments for an error
// message, in the accessor's order: " with device 'vdb'".
func describeArgs(info *signalbus.SignalInfo, given accessorArgs) string {
	var parts []string
	for _, a := range info.Args {
		if v, ok := given[a.Name]; ok {
			parts = append(parts, a.Name+" '"+v+"'")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " with " + strings.Join(parts, ", ")
}

// argString renders an accessor argument as the bus compares it.
func argString(typ string, raw json.RawMessage) (string, error) {
	switch typ {
	case "int":
		n, err := strconv.ParseInt(string(raw), 10, 64)
		return strconv.FormatInt(n, 10), err
	case "bool":
		var b bool
		err := json.Unmarshal(raw, &b)
		return strconv.FormatBool(b), err
	}
	var str string
	err := json.Unmarshal(raw, &str)
	return str, err
}
