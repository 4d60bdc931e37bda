package qmp

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/schema"
	"github.com/pkg/errors"
)

func (s *Server) builtins() error {
	cmds := []*Command{
		{Name: "qmp_capabilities", Negotiation: true, OnlyNegotiation: true,
			Args:  []*schema.Member{{Name: "enable", Type: "str", List: true, Optional: true}},
			check: capabilityNames, Handler: capabilities},
		{Name: "disconnect-default-signals", Negotiation: true, Handler: disconnectDefaults},
		{Name: "query-version", Returns: "VersionInfo", Handler: func(context.Context, *Conn, *Call) (any, error) {
			return versionInfo(s.version), nil
		}},
		{Name: "query-commands", Returns: "CommandInfo", Handler: func(context.Context, *Conn, *Call) (any, error) {
			out := []map[string]string{}
			for _, n := range s.reg.Names() {
				out = append(out, map[string]string{"name": n})
			}
			return out, nil
		}},
		{Name: "query-events", Returns: "EventInfo", Handler: func(context.Context, *Conn, *Call) (any, error) {
			out := []map[string]string{}
			for _, sig := range s.bus.Signals() {
				out = append(out, map[string]string{"name": sig.Info().Wire})
			}
			return out, nil
		}},
		{Name: "query-qmp-schema", Returns: "SchemaInfo", Handler: func(context.Context, *Conn, *Call) (any, error) {
			return s.introspect(), nil
		}},
	}
	for _, c := range cmds {
		if err := s.reg.Add(c); err != nil {
			return err
		}
	}
	return nil
}

// versionInfo is query-version's VersionInfo, its members in the order
// QEMU writes them (as its QDict iterates them), as in the greeting.
func versionInfo(v Version) any {
	type triple struct {
		Micro int `json:"micro"`
		Minor int `json:"minor"`
		Major int `json:"major"`
	}
	return struct {
		Qemu    triple `json:"qemu"`
		Package string `json:"package"`
	}{triple{v.Micro, v.Minor, v.Major}, v.Package}
}

// capabilityNames checks qmp_capabilities' enable list against QEMU's
// QMPCapability enum (argument validation, so before "already
// complete").
func capabilityNames(raw json.RawMessage) *Error {
	var args struct {
		Enable []string `json:"enable"`
	}
	if err := json.Unmarshal(raw, &args); err != nil {
		return Errorf("Invalid arguments for 'qmp_capabilities': %v", err)
	}
	for _, name := range args.Enable {
		if name != "oob" {
			// QEMU 7.2's own words: its visitor names a list element
			// "null" (checked on qemu-storage-daemon).
			return Errorf("Parameter 'null' does not accept value '%s'", name)
		}
	}
	return nil
}

func capabilities(ctx context.Context, c *Conn, call *Call) (any, error) {
	var args struct {
		Enable []string `json:"enable"`
	}
	if err := call.Decode(&args); err != nil {
		return nil, err
	}
	if len(args.Enable) > 0 { // no capability is offered: the first one asked for fails
		return nil, Errorf("Capability %s not available", args.Enable[0])
	}
	if err := c.sess.Start(); err != nil {
		return nil, Errorf("cannot start the session: %v", err)
	}
	return nil, nil
}

func disconnectDefaults(ctx context.Context, c *Conn, _ *Call) (any, error) {
	if err := c.sess.DisconnectDefaults(ctx); err != nil {
		return nil, Errorf("%v", err)
	}
	return nil, nil
}

// signalCommands registers <accessor>-connect and <accessor>-disconnect.
func (s *Server) signalCommands(sig signalbus.SignalRef) error {
	info := sig.Info()
	var args []*schema.Member
	for _, a := range info.Args {
		args = append(args, &schema.Member{Name: a.Name, Type: a.Type, Optional: a.Optional})
	}
	connect := &Command{Name: info.Accessor + "-connect", Args: args, Returns: "str", Signal: sig,
		Handler: func(ctx context.Context, c *Conn, call *Call) (any, error) {
			opts, err := filterArgs(info, call.Args)
			if err != nil {
				return nil, err
			}
			h, err := c.sess.Connect(sig, opts...)
			if err != nil {
				return nil, Errorf("%v", err)
			}
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
			owner, ok := c.sess.Owns(signalbus.Handle(a.Tag))
			if !ok || owner.Info() != info {
				return nil, Errorf("Unknown tag '%s' for %s", a.Tag, info.Accessor)
			}
			if err := c.sess.Disconnect(ctx, signalbus.Handle(a.Tag)); err != nil {
				if errors.Is(err, signalbus.ErrUnknownHandle) {
					return nil, Errorf("Unknown tag '%s' for %s", a.Tag, info.Accessor)
				}
				return nil, Errorf("%v", err)
			}
			return nil, nil
		}}
	if err := s.reg.Add(connect); err != nil {
		return err
	}
	return s.reg.Add(disconnect)
}

// filterArgs turns checked connect arguments into accessor filters.
func filterArgs(info *signalbus.SignalInfo, raw json.RawMessage) ([]signalbus.ConnectOption, error) {
	members, err := objectMembers(raw)
	if err != nil {
		return nil, Errorf("Invalid arguments: %v", err)
	}
	var opts []signalbus.ConnectOption
	for _, a := range info.Args {
		for _, m := range members {
			if m.Key != a.Name {
				continue
			}
			v, err := argString(a.Type, m.Value)
			if err != nil {
				return nil, Errorf("Invalid parameter type for '%s': %v", a.Name, err)
			}
			opts = append(opts, signalbus.Arg(a.Name, v))
		}
	}
	return opts, nil
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
