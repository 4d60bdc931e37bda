package qmp

import (
	"math"
	"strings"
	"testing"
)

// TestFormatDouble: doubles as glibc's printf("%.17g") writes them, which
// is how QEMU writes a JSON double (values checked with gcc/glibc).
func TestFormatDouble(t *testing.T) {
	cases := []struct {
		f    float64
		want string
	}{
		{0.1, "0.10000000000000001"}, {1e20, "1e+20"}, {1e17, "1e+17"}, {1e16, "10000000000000000"},
		{math.Copysign(0, -1), "-0"}, {0, "0"}, {5e-324, "4.9406564584124654e-324"}, {1e-5, "1.0000000000000001e-05"},
		{0.0001234, "0.00012339999999999999"}, {123456789.123, "123456789.123"}, {1e21, "1e+21"},
		{-2.5e-7, "-2.4999999999999999e-07"}, {1.0 / 3, "0.33333333333333331"}, {1.5, "1.5"},
		{math.Inf(1), "inf"}, {math.Inf(-1), "-inf"},
	}
	for _, c := range cases {
		if got := formatDouble(c.f); got != c.want {
			t.Errorf("%v: got %s, want %s", c.f, got, c.want)
		}
	}
}

// TestQDictOrder: objects are written in the order QEMU's QDict iterates
// them (bucket of the key's hash, then the member inserted last first),
// as qemu-storage-daemon writes them: VersionTriple inserted major,
// minor, micro comes out micro, minor, major (micro and minor share a
// bucket); a response's members, an error's, an event's; an id parsed
// from {"b", "a", "z"} or {"c", "b", "n"}.
func TestQDictOrder(t *testing.T) {
	cases := []struct{ insert, want string }{
		{"major minor micro", "micro minor major"},
		{"qemu package", "qemu package"},
		{"error id", "id error"},
		{"return id", "return id"},
		{"class desc", "class desc"},
		{"event data timestamp", "timestamp event data"},
		{"seconds microseconds", "seconds microseconds"},
		{"b a z", "a b z"},
		{"c b n", "n b c"},
	}
	for _, c := range cases {
		d := &qdict{}
		for _, k := range strings.Fields(c.insert) {
			d.put(k, &qobj{kind: qNull})
		}
		var got []string
		for _, i := range d.order() {
			got = append(got, d.keys[i])
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("inserted %s: iterated %s, want %s", c.insert, g, c.want)
		}
	}
}

// TestQEMUStrings: strings as QEMU's writer escapes them.
func TestQEMUStrings(t *testing.T) {
	cases := []struct{ in, want string }{
		{"<&>/'", `"<&>/'"`},
		{"\"\\\b\f\n\r\t", `"\"\\\b\f\n\r\t"`},
		{"\x00\x01\x1f\x7f", `"\u0000\u0001\u001F\u007F"`},
		{"é€\U0001F600", `"\u00E9\u20AC\uD83D\uDE00"`},
		{"\xc0\x80", `"\u0000"`},                       // modified UTF-8 for U+0000
		{"a\xffb\xc3", `"a\uFFFDb\uFFFD"`},             // not UTF-8
		{"\xc3(", `"\uFFFD("`},                         // a sequence cut short: the byte after is kept
		{"\xef\xbf\xbf\xed\xa0\x80", `"\uFFFD\uFFFD"`}, // a noncharacter, a surrogate
	}
	for _, c := range cases {
		if got := string(appendQString(nil, c.in)); got != c.want {
			t.Errorf("%q: got %s, want %s", c.in, got, c.want)
		}
	}
}

// TestQEMUJSONFromGo: encoding/json's output re-encoded as QEMU writes
// JSON, member order kept.
func TestQEMUJSONFromGo(t *testing.T) {
	v := struct {
		Z   string    `json:"z"`
		A   []any     `json:"a"`
		N   float64   `json:"n"`
		M   float64   `json:"m"`
		Big float64   `json:"big"`
		I   int64     `json:"i"`
		U   uint64    `json:"u"`
		E   struct{}  `json:"e"`
		L   []float64 `json:"l"`
	}{Z: "<&>\x01\u2028é", A: []any{true, nil, "x"}, N: 0.1, M: math.Copysign(0, -1), Big: 1e20, I: math.MinInt64, U: math.MaxUint64, L: []float64{}}
	got, err := asciiJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"z": "<&>\u0001\u2028\u00E9", "a": [true, null, "x"], "n": 0.10000000000000001, "m": -0, "big": 1e+20, "i": -9223372036854775808, "u": 18446744073709551615, "e": {}, "l": []}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestParseErrors: QEMU's parser texts (checked on qemu-storage-daemon
// 7.2 through qemu_bytes_test.go), one message at a time.
func TestParseErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"a" 1}`, "JSON parse error, missing : in object pair"},
		{`{1: 2}`, "JSON parse error, key is not a string in object"},
		{`{"a": 1 "b"}`, "JSON parse error, expected separator in dict"},
		{`[1 2]`, "JSON parse error, expected separator in list"},
		{`{"a": 1, "a": 2}`, "JSON parse error, duplicate key"},
		{`nul`, "JSON parse error, invalid keyword 'nul'"},
		{`"\x"`, "JSON parse error, invalid escape sequence in string"},
		{`"\uDBFF\u0041"`, `JSON parse error, \uDBFF is not a valid Unicode character`},
		{`"\ufffe"`, `JSON parse error, \ufffe is not a valid Unicode character`},
		{"\"\xed\xa0\x80\"", "JSON parse error, invalid UTF-8 sequence in string"},
		{`{"a": [`, "JSON parse error, premature EOI"},
		{"-x", "JSON parse error, stray '-x'"},
		{strings.Repeat("[", 1025), "JSON nesting depth limit exceeded"},
		{strings.Repeat("x", 2000), "JSON parse error, invalid keyword '" + strings.Repeat("x", 1023-len("invalid keyword '"))}, // cut as QEMU's char[1024]
	}
	for _, c := range cases {
		m := parseMessage([]byte(c.in))
		if m.val != nil || m.err != c.want {
			t.Errorf("%.40q: got %q (value %v), want %q", c.in, m.err, m.val, c.want)
		}
	}
}
