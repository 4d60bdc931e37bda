package qmp

import (
	"github.com/actorio/actorio/signalbus/schema"
)

// introspect builds query-qmp-schema's SchemaInfo list: every command,
// every event the bus can emit, and the types they use. Type names are
// the schema's own (QEMU masks them as numbers; clients must not care).
// An event's arg-type is the type of its "data", as in QEMU: the "tag"
// of an explicit connection's events is beside "data", not in it, and
// SchemaInfo has no place for it.
func (s *Server) introspect() []map[string]any {
	var out []map[string]any
	seen := map[string]bool{}
	var types []string
	use := func(t string) string {
		if t == "" || t == "none" {
			return "0"
		}
		if !seen[t] {
			seen[t] = true
			types = append(types, t)
		}
		return t
	}
	for _, n := range s.reg.Names() {
		c := s.reg.Lookup(n)
		argType := n + "-arg"
		// No "allow-oob": QEMU writes it only when true, and no command
		// of ours runs out of band.
		out = append(out, map[string]any{"name": n, "meta-type": "command", "arg-type": argType, "ret-type": use(c.Returns)})
		out = append(out, objectInfo(argType, c.Args, use))
	}
	for _, sig := range s.bus.Signals() {
		info := sig.Info()
		var members []*schema.Member
		for _, a := range info.Args {
			members = append(members, &schema.Member{Name: a.Name, Type: a.Type})
		}
		if s.schema != nil {
			if t := s.schema.Type(info.Name); t != nil {
				members = append(members, t.Members...)
			}
		}
		argType := info.Wire + "-data"
		out = append(out, map[string]any{"name": info.Wire, "meta-type": "event", "arg-type": argType})
		out = append(out, objectInfo(argType, members, use))
	}
	out = append(out, map[string]any{"name": OverflowEvent, "meta-type": "event", "arg-type": OverflowEvent + "-data"})
	out = append(out, objectInfo(OverflowEvent+"-data", []*schema.Member{
		{Name: "event", Type: "str"}, {Name: "dropped", Type: "int"},
	}, use))
	out = append(out, map[string]any{"name": "0", "meta-type": "object", "members": []any{}})
	for i := 0; i < len(types); i++ { // types may grow while walking
		t := types[i]
		switch {
		case schema.Builtins[t]:
			out = append(out, map[string]any{"name": t, "meta-type": "builtin", "json-type": jsonType(t)})
		case s.schema != nil && s.schema.Enum(t) != nil:
			e := s.schema.Enum(t)
			var ms []map[string]string
			for _, v := range e.Values {
				ms = append(ms, map[string]string{"name": v})
			}
			out = append(out, map[string]any{"name": t, "meta-type": "enum", "values": e.Values, "members": ms})
		case s.schema != nil && s.schema.Type(t) != nil:
			out = append(out, objectInfo(t, s.schema.Type(t).Members, use))
		default:
			out = append(out, map[string]any{"name": t, "meta-type": "object", "members": []any{}})
		}
	}
	return out
}

func objectInfo(name string, members []*schema.Member, use func(string) string) map[string]any {
	ms := []map[string]any{}
	for _, m := range members {
		t := use(m.Type)
		var typ any = t
		if m.List {
			typ = "[" + t + "]"
		}
		mi := map[string]any{"name": m.Name, "type": typ}
		if m.Optional {
			mi["default"] = nil
		}
		ms = append(ms, mi)
	}
	return map[string]any{"name": name, "meta-type": "object", "members": ms}
}

func jsonType(t string) string {
	switch t {
	case "str":
		return "string"
	case "int", "number":
		return map[string]string{"int": "int", "number": "number"}[t]
	case "bool":
		return "boolean"
	}
	return "value"
}
