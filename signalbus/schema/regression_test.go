package schema_test

import (
	"strings"
	"testing"

	"github.com/actorio/actorio/signalbus/schema"
)

// TestExemptNumberMember: a throttle may exempt values of a 'number'
// member, written as events print them (Go's shortest 'g' form), and a
// value no number prints as is refused.
//
// Found in review: every value of a number member was refused ("a member
// of type number cannot be exempted by value"), although the bus renders
// numbers and compares their text like any other scalar.
func TestExemptNumberMember(t *testing.T) {
	const head = "{ 'LevelEvent': { 'level': 'number' } }\n[ 'ev', {}, {}, 'LevelEvent' ]\n"
	for _, v := range []string{"1.5", "-2", "0", "1e+21", "0.1"} {
		src := head + "{ 'throttle': 'LevelEvent', 'period-ms': 10, 'exempt': { 'level': [ '" + v + "' ] } }\n"
		if _, err := schema.Parse("t.qapi", src); err != nil {
			t.Errorf("exempt level %s: %v", v, err)
		}
	}
	for _, v := range []string{"1.50", "abc", "+1", "1e21", "NaN", ""} {
		src := head + "{ 'throttle': 'LevelEvent', 'period-ms': 10, 'exempt': { 'level': [ '" + v + "' ] } }\n"
		_, err := schema.Parse("t.qapi", src)
		if err == nil || !strings.Contains(err.Error(), "is not a number as events print it") {
			t.Errorf("exempt level %q: %v, want a 'not a number as events print it' error", v, err)
		}
	}
}

// TestThrottleNamePrefersAccessorArgument: when an accessor argument and
// an event member share a name, a throttle's key or exemption names the
// accessor argument, as the bus reads it, and is checked against the
// argument's type.
//
// Found in review: the schema checked the event member, the bus read the
// argument; an exemption valid for one could be refused or never match.
func TestThrottleNamePrefersAccessorArgument(t *testing.T) {
	const head = "{ 'Mode': [ 'fast', 'slow' ] }\n{ 'LevelEvent': { 'mode': 'Mode' } }\n[ 'ev', { 'mode': 'str' }, {}, 'LevelEvent' ]\n"
	// 'anything' is a valid str (the argument), not a value of enum Mode.
	src := head + "{ 'throttle': 'LevelEvent', 'period-ms': 10, 'exempt': { 'mode': [ 'anything' ] } }\n"
	if _, err := schema.Parse("t.qapi", src); err != nil {
		t.Fatalf("exemption of the str accessor argument: %v", err)
	}
}
