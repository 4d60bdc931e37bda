package props

import (
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/streamactor"
)

// PipeFactory is the conformance factory of the in-memory pipe.
var PipeFactory = StreamFactory{
	Name: "pipe",
	Open: func(t *testing.T, sys *actors.System, _ Extents, opts ...streamactor.Option) *StreamUnderTest {
		w, r, err := streamactor.Pipe(sys, opts...)
		if err != nil {
			t.Fatalf("pipe: %v", err)
		}
		return &StreamUnderTest{Send: w, Recv: r}
	},
}

// ConnectFactory is the conformance factory of two ends made by New and
// joined by Connect: two actors speaking the stream protocol by message,
// as a remote pair will.
var ConnectFactory = StreamFactory{
	Name: "connect",
	Open: func(t *testing.T, sys *actors.System, _ Extents, opts ...streamactor.Option) *StreamUnderTest {
		w, err := streamactor.New(sys, opts...)
		if err != nil {
			t.Fatal(err)
		}
		r, err := streamactor.New(sys, opts...)
		if err != nil {
			t.Fatal(err)
		}
		if err := streamactor.Connect(t.Context(), w, r); err != nil {
			t.Fatalf("connect: %v", err)
		}
		return &StreamUnderTest{Send: w, Recv: r}
	},
}
