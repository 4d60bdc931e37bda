package qmp_test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"
)

// schemaCommandShapes negotiates on p, asks query-qmp-schema, and returns
// the distinct member sets of its command SchemaInfos.
func schemaCommandShapes(t *testing.T, p *peer) map[string]bool {
	t.Helper()
	p.lines(t, 1) // greeting
	p.send(t, `{"execute": "qmp_capabilities"}`+"\n")
	p.lines(t, 1)
	p.send(t, `{"execute": "query-qmp-schema"}`+"\n")
	line := p.lines(t, 1)[0]
	var r struct {
		Return []map[string]any `json:"return"`
	}
	if err := json.Unmarshal([]byte(line), &r); err != nil {
		t.Fatalf("%s: %v in %.200q", p.name, err, line)
	}
	shapes := map[string]bool{}
	for _, info := range r.Return {
		if info["meta-type"] != "command" {
			continue
		}
		var keys []string
		for k := range info { //detguard:unordered sorted below
			if k != "features" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		shapes[strings.Join(keys, ",")] = true
	}
	return shapes
}

// TestSchemaCommandAllowOOBOmitted: query-qmp-schema's command entries
// have the members QEMU's have. QEMU writes "allow-oob" only when it is
// true (qapi/introspect.py: "if ifcond allow_oob: obj['allow-oob'] =
// True"); none of our commands allows OOB, so none has the member.
// Checked against a real qemu-storage-daemon, whose commands all read
// {name, ret-type, meta-type, arg-type}.
// Spec: research/qapi-events.md §1.6/§1.7.
func TestSchemaCommandAllowOOBOmitted(t *testing.T) {
	qsdSock := startQSD(t)
	_, ourSock := serveUnix(t)
	qemu := schemaCommandShapes(t, dialPeer(t, "qemu-storage-daemon", qsdSock))
	ours := schemaCommandShapes(t, dialPeer(t, "actorio", ourSock))
	if len(ours) == 0 || len(qemu) == 0 {
		t.Fatalf("no commands: qemu %v, actorio %v", qemu, ours)
	}
	for s := range ours { //detguard:unordered test check
		if !qemu[s] {
			t.Errorf("actorio writes a command SchemaInfo with members {%s}; qemu's have %v", s, qemu)
		}
	}
}
