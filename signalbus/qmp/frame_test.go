package qmp

import (
	"fmt"
	"testing"
)

// runFrame plays a socket: it fills the buffers Next asks for from in and
// returns the messages (or "TOOLONG:n") in order, and what is left. Like
// SockStream, it starts no read while a message is ready.
func runFrame(f *Frame, in []byte) (out []string, rest []byte) {
	take := func() {
		v, tl, ok := f.Value()
		switch {
		case tl > 0:
			out = append(out, fmt.Sprintf("TOOLONG:%d", tl))
		case ok:
			out = append(out, string(v))
		}
	}
	for {
		for f.Ready() {
			take()
		}
		if len(in) == 0 {
			return out, in
		}
		f.Reset()
		for {
			bufs, err := f.Next()
			if err != nil {
				panic(err)
			}
			if len(bufs) == 0 {
				break
			}
			for _, b := range bufs {
				if len(in) < len(b) {
					return out, in // a real socket would wait for more
				}
				copy(b, in)
				in = in[len(b):]
			}
		}
		take()
	}
}

func TestFrameSplitsJSONValues(t *testing.T) {
	cases := []struct {
		in   string
		max  int
		want string
	}{
		{"{\"execute\": \"x\"}\n", 100, `[{"execute": "x"}]`},
		{"{\"a\":1}{\"b\":[1,{\"c\":\"}\"}]}", 100, `[{"a":1} {"b":[1,{"c":"}"}]}]`},
		{"  \r\n{'a': 'it\\'s }'}\r\n", 100, `[{'a': 'it\'s }'}]`},
		{"42 \"s\" {}", 100, `[42 "s" {}]`},
		{"}{}", 100, `[} {}]`},
		{"{\"a\": \x01{}", 100, "[{\"a\": \x01 {}]"},
		{"{\"aaaaaaaaaaaaaaaaaaaa\": [1, 2, {\"x\": \"}}}\"}]}\n{}", 8, `[TOOLONG:9 {}]`},
		// As QEMU's streamer: a number ended by a stray '}' makes two
		// messages of one byte's reading; braces and brackets are
		// counted apart, either going negative ends the message; after
		// a lexical error, input up to a structural or control
		// character is skipped.
		{"12}{}", 100, `[12 } {}]`},
		{"{{]{}", 100, `[{{] {}]`},
		{"[{]}]{}", 100, `[[{]} ] {}]`},
		{"gArbage\n{}", 100, `[g A {}]`},
		{"@ skipped :{}", 100, `[@ : {}]`},
		{"{\"a\": 1 X skipped\n{}", 100, "[{\"a\": 1 X {}]"},
		{"\"ab\x00cd\"{}", 100, "[\"ab\x00 {}]"},
		{"{\"a\":   [1,\n 2]}", 100, "[{\"a\":   [1,\n 2]}]"}, // blanks inside a message are kept
		{"-\n{}", 100, "[-\n {}]"},
		{"{\"aaaaaaaaaa\": \"\x01{}", 8, `[TOOLONG:9 {}]`}, // the rest of a long message ends where QEMU ends it
	}
	for _, c := range cases {
		got, rest := runFrame(NewFrame(c.max), []byte(c.in))
		if fmt.Sprint(got) != c.want {
			t.Errorf("%q: got %q, want %s (rest %q)", c.in, got, c.want, rest)
		}
	}
}
