package qmp

import (
	"context"
	"encoding/json"

	"github.com/actorio/actorio/signalbus/schema"
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
