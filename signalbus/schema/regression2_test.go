package schema_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/actorio/actorio/signalbus/schema"
)

// TestAccessorArgumentNamedTagRefused: over QMP, <accessor>-disconnect
// takes the connection's tag beside the accessor's arguments, in one
// object, so an accessor argument named tag cannot work. The schema
// refuses it where it is written, saying why, whether the arguments are
// an object or a type's members.
//
// Found in review: the schema (and so signalgen) accepted it, and
// qmp.NewServer then refused every bus made from the schema.
func TestAccessorArgumentNamedTagRefused(t *testing.T) {
	for _, c := range []struct{ src, at string }{
		{"{ 'AEvent': { 'x': 'str' } }\n[ 'a', { 'device': 'str', 'tag': 'str' }, {}, 'AEvent' ]\n", "t.qapi:2:27: "},
		{"{ 'AEvent': { 'x': 'str' } }\n[ 'a', { '*tag': 'int' }, {}, 'AEvent' ]\n", "t.qapi:2:10: "},
		{"{ 'Sel': { 'tag': 'str' } }\n{ 'AEvent': { 'x': 'str' } }\n[ 'a', 'Sel', {}, 'AEvent' ]\n", "t.qapi:1:12: "},
	} {
		_, err := schema.Parse("t.qapi", c.src)
		var se *schema.Error
		if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), c.at) ||
			!strings.Contains(se.Msg, "tag") || !strings.Contains(se.Msg, "a-disconnect") {
			t.Errorf("%s: %v, want a schema error at %s saying a-disconnect takes the tag", c.src, err, c.at)
		}
	}
	// A command's argument, or an event's member, may be named tag: only
	// the accessor's arguments share an object with the tag.
	const ok = "{ 'AEvent': { 'tag': 'str' } }\n[ 'a', { 'device': 'str' }, {}, 'AEvent' ]\n[ 'cmd', { 'tag': 'str' } ]\n"
	if _, err := schema.Parse("t.qapi", ok); err != nil {
		t.Errorf("tag as an event member and a command argument: %v", err)
	}
}
