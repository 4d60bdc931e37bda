package signalbus

import (
	"errors"
	"testing"

	"github.com/actorio/actorio/internal/wire"
	"google.golang.org/protobuf/proto"
)

type fuzzEvent struct {
	Device string `json:"device"`
	N      int    `json:"n"`
	Nested *struct {
		X []int `json:"x"`
	} `json:"nested,omitempty"`
}

var fuzzInfo = &SignalInfo{Name: "FuzzEvent", Args: []ArgInfo{{Name: "device", Type: "str"}}}

func mustMarshal(f *testing.F, m proto.Message) []byte {
	b, err := proto.Marshal(m)
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// FuzzDecodeEvent: any SignalEvent a peer sends either decodes into the
// connection's type with the connection's signal, or is refused with
// ErrUnknownType or ErrBadEvent; never a panic.
func FuzzDecodeEvent(f *testing.F) {
	good := &wire.SignalEvent{Epoch: 1, Conn: "c1", N: 1, Seq: 7, Time: 1e18, Args: []string{"vda"}, Type: "FuzzEvent", Data: []byte(`{"device":"vda","n":3}`)}
	f.Add(mustMarshal(f, good))
	f.Add(mustMarshal(f, &wire.SignalEvent{Type: "Other", Args: []string{"vda"}, Data: []byte(`{}`)}))
	f.Add(mustMarshal(f, &wire.SignalEvent{Type: "FuzzEvent", Args: []string{"vda"}, Data: []byte(`{"n":"three"}`)}))
	f.Add(mustMarshal(f, &wire.SignalEvent{Type: "FuzzEvent", Data: []byte(`{}`)}))
	f.Add(mustMarshal(f, &wire.SignalEvent{Type: "FuzzEvent", Args: []string{"a"}, Data: []byte(`{"nested":{"x":[1,2,`)}))
	f.Add([]byte{0xff, 0x01})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var m wire.SignalEvent
		if err := proto.Unmarshal(raw, &m); err != nil {
			return // the node's deserialiser would have refused it
		}
		e, err := decodeEvent[fuzzEvent](&m, fuzzInfo)
		if err != nil {
			if !errors.Is(err, ErrUnknownType) && !errors.Is(err, ErrBadEvent) {
				t.Fatalf("refused with an unexpected error: %v", err)
			}
			return
		}
		if m.GetType() != fuzzInfo.Name || e.Signal != fuzzInfo || len(e.Args) != 1 || e.Seq != m.GetSeq() {
			t.Fatalf("decoded %+v from %v", e, &m)
		}
	})
}

// FuzzConnectRequest: any SignalConnect a peer sends is either refused
// with ErrBadRequest or gives options within bounds; any SignalConnected
// either describes a signal or is refused; never a panic.
func FuzzConnectRequest(f *testing.F) {
	f.Add(mustMarshal(f, &wire.SignalConnect{Epoch: 1, Conn: "c1", Type: "FuzzEvent", Args: []*wire.SignalArg{{Name: "device", Value: "vda"}}, Limit: 8}))
	f.Add(mustMarshal(f, &wire.SignalConnect{Conn: "c2", Limit: MaxRemoteQueue + 1}))
	f.Add(mustMarshal(f, &wire.SignalConnect{Conn: "c3", Policy: 7}))
	f.Add(mustMarshal(f, &wire.SignalConnect{}))
	f.Add(mustMarshal(f, &wire.SignalConnected{Name: "FuzzEvent", Args: []*wire.SignalArgInfo{{Name: "device", Type: "str"}}, Window: 4}))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var m wire.SignalConnect
		if proto.Unmarshal(raw, &m) == nil {
			opts, kind, err := connectOptions(&m)
			if err != nil {
				if !errors.Is(err, ErrBadRequest) || kind != kindBadRequest {
					t.Fatalf("refused with %q, %v", kind, err)
				}
			} else {
				cfg := connectConfig{limit: DefaultQueueLimit}
				for _, o := range opts {
					o(&cfg)
				}
				if cfg.limit < 1 || cfg.limit > MaxRemoteQueue || cfg.policy > DropNewest || len(cfg.args) != len(m.GetArgs()) {
					t.Fatalf("options out of bounds: %+v from %v", cfg, &m)
				}
			}
		}
		var a wire.SignalConnected
		if proto.Unmarshal(raw, &a) == nil {
			info, err := connectInfo(&a)
			if err != nil {
				if !errors.Is(err, ErrBadEvent) {
					t.Fatalf("refused with %v", err)
				}
				return
			}
			if info.Name == "" || len(info.Args) != len(a.GetArgs()) {
				t.Fatalf("described %+v from %v", info, &a)
			}
			if err := connectError(&a); err == nil {
				t.Fatal("connectError returned nil")
			}
		}
	})
}
