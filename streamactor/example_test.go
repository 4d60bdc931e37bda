package streamactor_test

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/streamactor"
	"github.com/asynkron/protoactor-go/actor"
)

// A pipe: what one end sends, the other receives; Finish on both ends is
// the sync point.
func ExamplePipe() {
	sys := actors.New()
	defer sys.Close(context.Background())
	ctx := context.Background()
	w, r, _ := streamactor.Pipe(sys)
	defer w.Free()
	defer r.Free()
	done := make(chan error)
	go func() {
		_, _ = w.Send(ctx, []byte("hello, stream"))
		done <- w.Finish(ctx) // returns once the receiver confirmed
	}()
	data, _ := io.ReadAll(r) // Recv until io.EOF
	fmt.Println(string(data), r.Finish(ctx), <-done)
	// Output: hello, stream <nil> <nil>
}

// A sparse stream keeps holes as holes: RecvFlags stops at a hole with
// ErrHole, RecvHole takes it.
func ExampleStream_RecvHole() {
	sys := actors.New()
	defer sys.Close(context.Background())
	ctx := context.Background()
	w, r, _ := streamactor.Pipe(sys, streamactor.Sparse())
	defer w.Free()
	defer r.Free()
	_, _ = w.Send(ctx, []byte("data"))
	_ = w.SendHole(ctx, 1<<30, 0)
	buf := make([]byte, 100)
	n, _ := r.RecvFlags(ctx, buf, streamactor.RecvStopAtHole)
	_, err := r.RecvFlags(ctx, buf, streamactor.RecvStopAtHole)
	hole, _ := r.RecvHole(ctx, 0)
	fmt.Println(string(buf[:n]), errors.Is(err, streamactor.ErrHole), hole)
	// Output: data true 1073741824
}

// Uploading into a (here simulated) sparse file: Finish returns nil only
// once the data is written, the trailing hole made by truncation, and the
// file synced.
func ExampleAttachFileSink() {
	w := sim.New(1)
	sys := w.MustNode("n1")
	ctx := context.Background()
	file := sim.NewSparseFile(w, "disk.img", sim.FileFaults{})
	st, _ := streamactor.New(sys, streamactor.Sparse())
	_ = streamactor.AttachFileSink(st, file, streamactor.FileOptions{})
	_, _ = st.Send(ctx, []byte("boot sector"))
	_ = st.SendHole(ctx, 10<<20, 0)
	err := st.Finish(ctx)
	file.Reopen()
	size, _ := file.Size()
	fmt.Println(err, size, file.Allocated())
	_ = w.Close()
	// Output: <nil> 10485771 4096
}

// An actor cannot block: it uses the message face and gets the result as
// a message.
func ExampleStream_SendAsync() {
	w := sim.New(1)
	sys := w.MustNode("n1")
	ws, rs, _ := streamactor.Pipe(sys)
	got := make([]string, 0, 1)
	_, _ = sys.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *actor.Started:
			ws.SendAsync(c, []byte("from an actor"), "tag-1")
		case *streamactor.SendResult:
			got = append(got, fmt.Sprint(m.Tag, " ", m.N, " ", m.Err))
		}
	}))
	buf := make([]byte, 64)
	n, _ := rs.Recv(context.Background(), buf)
	_, _ = w.Run() // let the actor handle its result
	fmt.Println(string(buf[:n]), got)
	_ = w.Close()
	// Output: from an actor [tag-1 13 <nil>]
}
