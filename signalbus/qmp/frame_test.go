package qmp

import (
	"fmt"
	"testing"
)

// runFrame plays a socket: it fills the buffers Next asks for from in and
// returns the values (or "TOOLONG:n") in order, and what is left.
func runFrame(f *Frame, in []byte) (out []string, rest []byte) {
	for len(in) > 0 {
		f.Reset()
		for {
			bufs, err := f.Next()
			if err != nil {
				panic(err)
			}
			if len(bufs) == 0 {
				break
			}
			short := false
			for _, b := range bufs {
				if len(in) < len(b) {
					short = true
					break
				}
				copy(b, in)
				in = in[len(b):]
			}
			if short {
				return out, in // a real socket would wait for more
			}
		}
		v, tl, ok := f.Value()
		switch {
		case tl > 0:
			out = append(out, fmt.Sprintf("TOOLONG:%d", tl))
		case ok:
			out = append(out, string(v))
		}
	}
	return out, in
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
	}
	for _, c := range cases {
		got, rest := runFrame(NewFrame(c.max), []byte(c.in))
		if fmt.Sprint(got) != c.want {
			t.Errorf("%q: got %q, want %s (rest %q)", c.in, got, c.want, rest)
		}
	}
}
