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

// TestAccessorArgumentNamedLikeMemberRefused: over QMP an event's data
// holds its accessor arguments and its members in one JSON object, where
// a name can be once: an argument and a member of one name could not
// both be delivered (they may differ in value, even in type), and a
// connection filtered on the argument would see the member's value under
// its name. The schema refuses it at the argument, naming the member.
//
// Found in review: the schema documented it as allowed (and the
// in-process bus handled it), but qmp.NewServer refused every bus made
// from such a schema. (The second case is the schema
// TestThrottleNamePrefersAccessorArgument used: a str argument and an
// enum member of one name.)
func TestAccessorArgumentNamedLikeMemberRefused(t *testing.T) {
	for _, c := range []struct{ src, at string }{
		{"{ 'BlockIOEvent': { 'device': 'str', 'action': 'str' } }\n[ 'block-io', { 'device': 'str' }, {}, 'BlockIOEvent' ]\n", "t.qapi:2:17: "},
		{"{ 'Mode': [ 'fast', 'slow' ] }\n{ 'LevelEvent': { '*mode': 'Mode' } }\n[ 'ev', { 'id': 'int', '*mode': 'str' }, {}, 'LevelEvent' ]\n", "t.qapi:3:24: "},
		{"{ 'Sel': { 'device': 'str' } }\n{ 'AEvent': { 'device': 'str' } }\n[ 'a', 'Sel', {}, 'AEvent' ]\n", "t.qapi:1:12: "},
	} {
		_, err := schema.Parse("t.qapi", c.src)
		var se *schema.Error
		if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), c.at) || !strings.Contains(se.Msg, "member") {
			t.Errorf("%s: %v, want a schema error at %s naming the member", c.src, err, c.at)
		}
	}
}

// TestMemberDeclaredTwiceRefused: 'x' and '*x' in one object are two
// keys to the lexer but one member (or argument) declared twice: once
// required, once optional. The schema refuses it at the second, naming
// the first, in an event, a type, a command's arguments and an
// accessor's arguments.
//
// Found in review: schema.Parse accepted it; signalgen then refused it
// ("declared twice") and qmp.NewServer refused the accessor's signal
// ("argument twice"), so the three layers disagreed.
func TestMemberDeclaredTwiceRefused(t *testing.T) {
	for _, c := range []struct{ src, at string }{
		{"{ 'AEvent': { 'x': 'str', '*x': 'int' } }\n", "t.qapi:1:27: "},
		{"{ 'T': { '*x': 'str', 'x': 'str' } }\n", "t.qapi:1:23: "},
		{"[ 'cmd', { 'n': 'int', '*n': 'int' } ]\n", "t.qapi:1:24: "},
		{"{ 'AEvent': {} }\n[ 'a', { 'device': 'str', '*device': 'str' }, {}, 'AEvent' ]\n", "t.qapi:2:27: "},
	} {
		_, err := schema.Parse("t.qapi", c.src)
		var se *schema.Error
		if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), c.at) || !strings.Contains(se.Msg, "twice") {
			t.Errorf("%s: %v, want a schema error at %s saying the member is declared twice", c.src, err, c.at)
		}
	}
}
