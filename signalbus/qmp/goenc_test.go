package qmp

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/actorio/actorio/internal/benchcmp"
	"pgregory.net/rapid"
)

// Types that exercise encoding/json's rules.
type (
	textKey   struct{ a, b int }
	textVal   int
	ptrText   int
	jsonVal   struct{ s string }
	ptrJSON   struct{ n int }
	zeroer    struct{ v int }
	byteLike  byte
	byteText  byte
	Inner     struct{ A, B int }
	inner     struct{ C string }
	Conflict1 struct{ X int }
	Conflict2 struct{ X int }
	Tagged    struct {
		X int `json:"X"`
	}
	Deep struct{ Inner }
)

func (k textKey) MarshalText() ([]byte, error) { return []byte(fmt.Sprintf("%d/%d", k.a, k.b)), nil }
func (v textVal) MarshalText() ([]byte, error) { return []byte(fmt.Sprintf("tv<%d>", int(v))), nil }
func (p *ptrText) MarshalText() ([]byte, error) {
	return []byte(fmt.Sprintf("pt%d", int(*p))), nil
}
func (j jsonVal) MarshalJSON() ([]byte, error) {
	return []byte(` { "s" : ` + fmt.Sprintf("%q", j.s) + `, "n": [1, 2.5, 1e2, 100000000000000000] } `), nil
}
func (p *ptrJSON) MarshalJSON() ([]byte, error) { return []byte(fmt.Sprint(p.n * 2)), nil }
func (z zeroer) IsZero() bool                   { return z.v == 7 }
func (b byteText) MarshalText() ([]byte, error) { return []byte{'b', byte(b)}, nil }

type allRules struct {
	Plain     string
	Renamed   int            `json:"renamed"`
	Omit      string         `json:"omit,omitempty"`
	OmitSlice []int          `json:",omitempty"`
	OmitMap   map[string]int `json:"om,omitempty"`
	OmitPtr   *int           `json:"op,omitempty"`
	OmitZero  time.Time      `json:"oz,omitzero"`
	OmitZ2    zeroer         `json:"oz2,omitzero"`
	Skip      int            `json:"-"`
	//lint:ignore SA5008 deliberate: encoding/json names this field "-"
	Dash    int    `json:"-,"`
	StrInt  int    `json:"si,string"`
	StrBool bool   `json:"sb,string"`
	StrStr  string `json:"ss,string"`
	StrPtr  *int64 `json:"sp,string"`
	//lint:ignore SA5008 deliberate: an invalid name falls back to the field's
	BadTag int `json:"a\"b"`
	Punct  int `json:"a-b.c"`
	unexp  int
	Inner
	*inner
	Conflict1
	Conflict2
	Tagged
	Deep
	Bytes    []byte
	ByteArr  [3]byte
	ByteLike []byteLike
	ByteText []byteText
	NilBytes []byte
	NilSlice []string
	Empty    []string
	NilMap   map[string]int
	IntKeys  map[int64]string
	UintKeys map[uint8]bool
	TextKeys map[textKey]int
	TextVal  textVal
	PtrText  ptrText
	PtrJSON  ptrJSON
	JSONVal  jsonVal
	Raw      json.RawMessage
	NilRaw   json.RawMessage
	Num      json.Number
	NumZero  json.Number
	Any      any
	AnyNil   any
	Marsh    json.Marshaler
	Time     time.Time
	Addr     netip.Addr
	Dur      time.Duration
	Nested   []map[string][]*Inner
	Unicode  string
	Invalid  string
	Controls string
}

func sampleAllRules() allRules {
	n := int64(-42)
	return allRules{
		Plain: "plain <&> \u2028", Renamed: 7, Skip: 9, Dash: 3, StrInt: -5, StrBool: true,
		StrStr: "q\"<\n>", StrPtr: &n, BadTag: 1, Punct: 2, unexp: 5,
		OmitZero: time.Time{}, OmitZ2: zeroer{7},
		Inner: Inner{A: 1, B: 2}, inner: &inner{C: "c"}, Conflict1: Conflict1{1}, Conflict2: Conflict2{2},
		Tagged: Tagged{X: 3}, Deep: Deep{Inner{A: 9}},
		Bytes: []byte("hello\x00\xff"), ByteArr: [3]byte{1, 2, 3}, ByteLike: []byteLike{4, 5},
		ByteText: []byteText{'x'}, Empty: []string{},
		IntKeys: map[int64]string{-1: "a", 10: "b", 2: "c"}, UintKeys: map[uint8]bool{200: true, 3: false},
		TextKeys: map[textKey]int{{1, 2}: 3, {0, 9}: 4}, TextVal: 12, PtrText: 13, PtrJSON: ptrJSON{21},
		JSONVal: jsonVal{"x\u00e9"}, Raw: json.RawMessage(`{"z": [1, 1.0, -0, 12345678901234567890123]}`),
		Num: "123456789012345678901", Any: map[string]any{"k": []any{1, "two", nil, true, int64(3)}},
		Marsh: jsonVal{"m"}, Time: time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC), Addr: netip.MustParseAddr("::1"),
		Dur:     1500 * time.Millisecond,
		Nested:  []map[string][]*Inner{{"b": {{1, 2}, nil}, "a": nil}},
		Unicode: "é中😀\u007f\u0080\ufeff", Invalid: "a\xc0\x80b\xffc\xed\xa0\x80", Controls: "\x00\x01\b\f\n\r\t\x1f",
	}
}

// TestGoJSONAgreesWithEncodingJSON: where no float is involved, goJSON
// writes exactly what encoding/json followed by qemuJSON wrote.
func TestGoJSONAgreesWithEncodingJSON(t *testing.T) {
	a := sampleAllRules()
	cases := []any{
		nil, true, 0, int8(-8), uint64(math.MaxUint64), int64(math.MinInt64), "s", []int(nil), []int{},
		map[string]int(nil), map[string]int{}, struct{}{}, &struct{}{}, [0]int{}, []any{nil},
		a, &a, []allRules{a}, map[string]*allRules{"x": &a, "y": nil},
		json.Number("-0.5e-3"), json.RawMessage(`"raw"`), ptrJSON{3}, &ptrJSON{4}, ptrText(5), new(ptrText(6)),
		(*ptrJSON)(nil), (*allRules)(nil), []*ptrText{nil, new(ptrText(1))}, textVal(1),
		map[textVal]int{1: 1}, map[string]any{"b": 1, "a": 2, "é": 3, "\xff": 4},
		map[string]ptrJSON{"a": {1}}, []ptrJSON{{1}}, [1]ptrJSON{{1}}, &[1]ptrJSON{{1}}, []any{ptrJSON{1}, &ptrJSON{1}},
		map[ptrText]int{1: 2}, map[*ptrText]int{nil: 1}, []ptrText{1}, struct{ M map[string]ptrText }{map[string]ptrText{"k": 1}},
		struct {
			inner `json:"in"`
			propEmbed
			P *propEmbed `json:"p,omitzero"`
		}{inner{"c"}, propEmbed{"e", 1}, nil},
		struct {
			A int `json:"a"`
			B struct {
				C []byte `json:"c,omitempty"`
			} `json:"b"`
		}{},
	}
	for _, v := range cases {
		want, err := oldPath(v)
		if err != nil {
			t.Fatalf("%T: encoding/json: %v", v, err)
		}
		got, err := goJSON(v)
		if err != nil {
			t.Errorf("%T: %v", v, err)
			continue
		}
		if string(got) != string(want) {
			t.Errorf("%T:\n got %s\nwant %s", v, got, want)
		}
	}
}

// TestGoJSONErrors: what encoding/json refuses, goJSON refuses too, with
// an error errors.As finds.
func TestGoJSONErrors(t *testing.T) {
	type cyclic struct{ Next *cyclic }
	loop := &cyclic{}
	loop.Next = loop
	fail := errors.New("boom")
	var ute *json.UnsupportedTypeError
	var uve *json.UnsupportedValueError
	var me *json.MarshalerError
	cases := []struct {
		v     any
		match func(error) bool
	}{
		{make(chan int), func(err error) bool { return errors.As(err, &ute) }},
		{map[[2]int]int{}, func(err error) bool { return errors.As(err, &ute) }},
		{struct{ F func() }{}, func(err error) bool { return errors.As(err, &ute) }},
		{complex(1, 2), func(err error) bool { return errors.As(err, &ute) }},
		{loop, func(err error) bool { return errors.As(err, &uve) }},
		{json.Number("1x"), func(err error) bool { return strings.Contains(err.Error(), "invalid number literal") }},
		{json.RawMessage(`{"a":`), func(err error) bool { return errors.As(err, &me) }},
		{failing{fail}, func(err error) bool { return errors.Is(err, fail) && errors.As(err, &me) }},
		{map[failingKey]int{{fail}: 1}, func(err error) bool { return errors.Is(err, fail) }},
	}
	for _, c := range cases {
		_, oldErr := oldPath(c.v)
		_, err := asciiJSON(c.v)
		if oldErr == nil || err == nil || !c.match(err) {
			t.Errorf("%T: error %v (encoding/json: %v)", c.v, err, oldErr)
		}
	}
}

type failing struct{ err error }

func (f failing) MarshalJSON() ([]byte, error) { return nil, f.err }

type failingKey struct{ err error }

func (f failingKey) MarshalText() ([]byte, error) { return nil, f.err }

// genTree draws a float-free JSON-ish Go value.
func genTree(t *rapid.T, depth int) any {
	kinds := 7
	if depth > 3 {
		kinds = 5
	}
	switch rapid.IntRange(0, kinds-1).Draw(t, "kind") {
	case 0:
		return nil
	case 1:
		return rapid.Bool().Draw(t, "b")
	case 2:
		return rapid.Int64().Draw(t, "i")
	case 3:
		return rapid.String().Draw(t, "s")
	case 4:
		return json.Number(fmt.Sprint(rapid.Uint64().Draw(t, "n")))
	case 5:
		n := rapid.IntRange(0, 4).Draw(t, "len")
		l := make([]any, n)
		for i := range l {
			l[i] = genTree(t, depth+1)
		}
		return l
	}
	m := map[string]any{}
	for range rapid.IntRange(0, 4).Draw(t, "len") {
		m[rapid.String().Draw(t, "key")] = genTree(t, depth+1)
	}
	return m
}

type propEmbed struct {
	E  string `json:"e,omitempty"`
	In int
}

type propStruct struct {
	A  string         `json:"a"`
	B  int64          `json:"b,omitempty"`
	C  uint32         `json:"c,string"`
	D  []byte         `json:"d"`
	M  map[int]string `json:"m,omitempty"`
	P  *propEmbed     `json:"p,omitempty"`
	T  any            `json:"t"`
	Z  propEmbed      `json:"z,omitzero"`
	S  string         `json:"s,string"`
	Ok bool           `json:",omitempty"`
	*propEmbed
}

// TestGoJSONPropertyNoFloats: for random float-free values, goJSON's
// output is encoding/json's re-encoded by qemuJSON.
func TestGoJSONPropertyNoFloats(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		v := propStruct{
			A: rapid.String().Draw(t, "a"), B: rapid.Int64Range(-3, 3).Draw(t, "b"), C: rapid.Uint32().Draw(t, "c"),
			D: rapid.SliceOf(rapid.Byte()).Draw(t, "d"), T: genTree(t, 0), S: rapid.String().Draw(t, "s"),
			Ok: rapid.Bool().Draw(t, "ok"),
		}
		if rapid.Bool().Draw(t, "hasM") {
			v.M = rapid.MapOf(rapid.Int(), rapid.String()).Draw(t, "m")
		}
		if rapid.Bool().Draw(t, "hasP") {
			v.P = &propEmbed{E: rapid.String().Draw(t, "pe"), In: rapid.Int().Draw(t, "pin")}
		}
		if rapid.Bool().Draw(t, "hasZ") {
			v.Z = propEmbed{E: rapid.String().Draw(t, "ze")}
		}
		if rapid.Bool().Draw(t, "hasEmbed") {
			v.propEmbed = &propEmbed{In: rapid.Int().Draw(t, "in")}
		}
		var top any = v
		if rapid.Bool().Draw(t, "ptr") {
			top = &v
		}
		want, err := oldPath(top)
		if err != nil {
			t.Fatal(err)
		}
		got, err := goJSON(top)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("\n got %s\nwant %s", got, want)
		}
	})
}

// BenchmarkGoJSONEvent: one op is writing a typical event payload (the
// seed's BLOCK_IO_EVENT members plus a number and a flag) the way
// eventData does. Ours is goJSON; the baseline is the old path,
// encoding/json then qemuJSON. x-base > 1 means goJSON is faster.
func BenchmarkGoJSONEvent(b *testing.B) {
	type event struct {
		Device    string  `json:"device"`
		NodeName  string  `json:"node-name,omitempty"`
		Action    string  `json:"action"`
		Operation string  `json:"operation"`
		Nospace   bool    `json:"nospace"`
		Sectors   int64   `json:"sectors"`
		Fraction  float64 `json:"fraction"`
	}
	ev := event{Device: "virtio0", NodeName: "node0", Action: "report", Operation: "write", Sectors: 4096, Fraction: 0.25}
	b.ReportAllocs()
	ours := func(n int) {
		for range n {
			if _, err := goJSON(ev); err != nil {
				b.Fatal(err)
			}
		}
	}
	base := func(n int) {
		for range n {
			body, err := json.Marshal(ev)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := qemuJSON(body); err != nil {
				b.Fatal(err)
			}
		}
	}
	benchcmp.Compare(b, ours, base)
}
