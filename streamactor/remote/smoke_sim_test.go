package remote_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/props"
	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/streamactor"
	"github.com/actorio/actorio/streamactor/remote"
	"github.com/asynkron/protoactor-go/actor"
)

func TestSmokeSim(t *testing.T) {
	w := sim.New(1)
	defer w.Close()
	a := w.MustNode("a")
	b := w.MustNode("b")
	rep := &props.ConsumerReport{}
	_, err := remote.Serve(b, "svc", func(req *remote.Request) error {
		st, err := req.AcceptStream()
		if err != nil {
			return err
		}
		_, err = b.Spawn(props.NewConsumer(st, props.ConsumerConfig{MaxBuf: 5000, StopAtHole: true, StallAt: -1, AbortAt: -1}, rep))
		return err
	}, remote.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_ = b
	ctx := context.Background()
	st, err := remote.Dial(ctx, a, actor.NewPID("b", "svc"), streamactor.RoleSender, "hello", remote.Options{}, streamactor.Sparse())
	if err != nil {
		t.Fatal(err)
	}
	payload := bytes.Repeat([]byte("abcdefgh"), 100000)
	if _, err := st.Send(ctx, payload); err != nil {
		t.Fatal(err)
	}
	if err := st.SendHole(ctx, 12345, 0); err != nil {
		t.Fatal(err)
	}
	if err := st.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("consumer: %v eof %v fin %v err %v", rep.Got.Size(), rep.EOF, rep.Finished, rep.RecvErr)
	_ = actors.After
}
