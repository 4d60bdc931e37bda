package qmp_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/actorio/actorio/signalbus"
	"github.com/actorio/actorio/signalbus/qmp"
)

// rawNumbers holds numbers whose Go type is lost: written by a
// MarshalJSON method, a json.RawMessage, a json.Number.
type rawNumbers struct {
	Raw    json.RawMessage `json:"raw"`
	Num    json.Number     `json:"num"`
	Marsh  negZeroJSON     `json:"marsh"`
	Double json.RawMessage `json:"double"`
}

type negZeroJSON struct{}

func (negZeroJSON) MarshalJSON() ([]byte, error) { return []byte(`[-0, -0.0, -0e0]`), nil }

// TestRegressionRawNegativeZeroAsQEMU: a number without a Go type is
// written as QEMU writes what it parses from that text. QEMU's parser
// reads the integer token -0 as the int 0 and writes "0"; the float
// tokens -0.0 and -0e0 as the double -0.0, written "%.17g": "-0". The
// recorded qemu-storage-daemon replies in qemu_bytes_test.go show both
// (an id of [-0] comes back [0], an id of -0.0 comes back -0). Before,
// the integer token -0 went out as "-0".
func TestRegressionRawNegativeZeroAsQEMU(t *testing.T) {
	ev := &signalbus.Event[rawNumbers]{Emission: &signalbus.Emission[rawNumbers]{
		Header: signalbus.Header{
			Signal: &signalbus.SignalInfo{Name: "RawEvent", Wire: "RAW_EVENT"},
			Time:   time.Unix(1700000000, 0),
		},
		Value: rawNumbers{Raw: json.RawMessage(`-0`), Num: "-0", Double: json.RawMessage(`-0.0`)},
	}}
	got, err := qmp.EventLine(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"timestamp": {"seconds": 1700000000, "microseconds": 0}, "event": "RAW_EVENT", "data": {"raw": 0, "num": 0, "marsh": [0, -0, -0], "double": -0}}` + "\r\n"
	if string(got) != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}
