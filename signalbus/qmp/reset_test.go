package qmp

import (
	"fmt"
	"testing"
)

// TestFrameResetInsideString: a byte QEMU's lexer rejects ends the value
// at once, inside a string too (also right after a backslash, and a raw
// newline or tab, which JSON has escaped there), so the next value is
// read whole. Outside strings the blanks still separate values.
func TestFrameResetInsideString(t *testing.T) {
	cases := []struct{ in, want string }{
		{"{\"execute\": \"qu\x1b{\"a\": 1}", "[\"{\\\"execute\\\": \\\"qu\\x1b\" \"{\\\"a\\\": 1}\"]"},
		{"{\"a\": \"x\\\x01{}", "[\"{\\\"a\\\": \\\"x\\\\\\x01\" \"{}\"]"},
		{"{'a': 'x\x1b{}", "[\"{'a': 'x\\x1b\" \"{}\"]"},
		{"{\"a\": \"x\n{}", "[\"{\\\"a\\\": \\\"x\\n\" \"{}\"]"},
		{"{\"a\": \"x\xff{}", "[\"{\\\"a\\\": \\\"x\\xff\" \"{}\"]"},
		{"\xfe{}", "[\"\\xfe\" \"{}\"]"},
		{"{\"a\":\t\"b\"}\r\n", "[\"{\\\"a\\\":\\t\\\"b\\\"}\"]"}, // blanks outside strings
	}
	for _, c := range cases {
		got, _ := runFrame(NewFrame(100), []byte(c.in))
		if g := fmt.Sprintf("%q", got); g != c.want {
			t.Errorf("%q: got %s, want %s", c.in, g, c.want)
		}
	}
}

// TestStrayTokenText: a value ended by a reset byte gets QEMU's error
// text (checked on qemu-storage-daemon 7.2): the open string from its
// quote on, or the byte alone; other bad input keeps its usual text.
func TestStrayTokenText(t *testing.T) {
	m := NewMachine(NewRegistry(nil), 1000)
	cases := []struct{ in, want string }{
		{"{\"execute\": \"qu\x1b", `JSON parse error, stray '\"qu\u001B'`},
		{"{'a': 'x\x1b", `JSON parse error, stray ''x\u001B'`},
		{"{\"a\": \"q\xc3\xa9\x1b", `JSON parse error, stray '\"q\u00E9\u001B'`},
		{"{\"a\": 12\x01", `JSON parse error, stray '\u0001'`},
		{"\x01", `JSON parse error, stray '\u0001'`},
		{"\xff", `JSON parse error, stray '\uFFFD'`},
		{"{\"a\": \"x\n", `JSON parse error, stray '\"x\n'`},
		{"}", `JSON parse error, expecting value`},
		{"{\"a\": \"x\x01\"}", `JSON parse error, stray '\"x\u0001'`}, // the first message of the line
	}
	for _, c := range cases {
		reply, call := m.Input([]byte(c.in))
		want := `{"error": {"class": "GenericError", "desc": "` + c.want + `"}}` + "\r\n"
		if call != nil || string(reply) != want {
			t.Errorf("%q:\n got %q\nwant %q", c.in, reply, want)
		}
	}
}
