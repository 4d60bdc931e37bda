package qmp

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/actorio/actorio/signalbus"
)

// oldPath is how Go values used to be written: encoding/json, then
// qemuJSON. Where no float is involved the new encoder must agree.
func oldPath(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return qemuJSON(buf.Bytes())
}

// TestGoFloatsWrittenAsQEMU: a float64 (or float32) in a Go value is
// written as QEMU writes a QNum double, "%.17g" (glibc): an integral
// float in [1e17, 1e21) is "1e+17", not the digits encoding/json
// prints (which read back as an integer), and NaN and ±Inf are written
// ("nan", "inf", "-inf") rather than failing the whole value. The
// expected strings are printf("%.17g") output of a C program.
func TestGoFloatsWrittenAsQEMU(t *testing.T) {
	type numEvent struct {
		Number float64 `json:"number"`
	}
	type f32Event struct {
		Number float32 `json:"number"`
	}
	cases := []struct {
		v    any
		want string
	}{
		{numEvent{1e16}, `{"number": 10000000000000000}`},
		{numEvent{1e17}, `{"number": 1e+17}`},
		{numEvent{-1e17}, `{"number": -1e+17}`},
		{numEvent{123456789012345678}, `{"number": 1.2345678901234568e+17}`},
		{numEvent{1e20}, `{"number": 1e+20}`},
		{numEvent{1e21}, `{"number": 1e+21}`},
		{numEvent{1e22}, `{"number": 1e+22}`},
		{numEvent{math.Copysign(0, -1)}, `{"number": -0}`},
		{numEvent{0.1}, `{"number": 0.10000000000000001}`},
		{numEvent{1.5}, `{"number": 1.5}`},
		{numEvent{5e-324}, `{"number": 4.9406564584124654e-324}`},
		{numEvent{math.NaN()}, `{"number": nan}`},
		{numEvent{math.Inf(1)}, `{"number": inf}`},
		{numEvent{math.Inf(-1)}, `{"number": -inf}`},
		{f32Event{0.1}, `{"number": 0.10000000149011612}`},
		{f32Event{1e17}, `{"number": 99999998430674944}`},
		{f32Event{16777216}, `{"number": 16777216}`},
		{f32Event{math.MaxFloat32}, `{"number": 3.4028234663852886e+38}`},
		{[]any{1e17, float32(1e20), int64(1e17), uint64(1e19)}, `[1e+17, 1.0000000200408773e+20, 100000000000000000, 10000000000000000000]`},
		{map[string]any{"a": math.Inf(1), "b": []float64{1e18}}, `{"a": inf, "b": [1e+18]}`},
		// ",string": the string encoding/json writes; what it cannot, QEMU's text.
		{struct {
			F float64 `json:"f,string"`
			G float32 `json:"g,string"`
			N float64 `json:"n,string"`
		}{1e17, 0.1, math.NaN()}, `{"f": "100000000000000000", "g": "0.1", "n": "nan"}`},
		{struct {
			P *float64 `json:"p"`
		}{P: new(1e19)}, `{"p": 1e+19}`},
	}
	for _, c := range cases {
		got, err := asciiJSON(c.v)
		if err != nil {
			t.Errorf("%#v: %v", c.v, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("%#v:\n got %s\nwant %s", c.v, got, c.want)
		}
	}
}

// TestEventNumberMemberAsQEMU: an event with a 'number' member of 1e17
// is written as QEMU writes it ("1e+17"), through EventLine.
func TestEventNumberMemberAsQEMU(t *testing.T) {
	type thresholdEvent struct {
		Node   string  `json:"node"`
		Number float64 `json:"number"`
	}
	ev := &signalbus.Event[thresholdEvent]{Emission: &signalbus.Emission[thresholdEvent]{
		Header: signalbus.Header{
			Signal: &signalbus.SignalInfo{Name: "ThresholdEvent", Wire: "THRESHOLD_EVENT"},
			Time:   time.Unix(1700000000, 5000),
		},
		Value: thresholdEvent{Node: "n0", Number: 1e17},
	}}
	got, err := EventLine(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"timestamp": {"seconds": 1700000000, "microseconds": 5}, "event": "THRESHOLD_EVENT", "data": {"node": "n0", "number": 1e+17}}` + "\r\n"
	if string(got) != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}
