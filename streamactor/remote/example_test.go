package remote_test

import (
	"context"
	"fmt"

	"github.com/actorio/actorio/sim"
	"github.com/actorio/actorio/streamactor"
	"github.com/actorio/actorio/streamactor/remote"
	"github.com/asynkron/protoactor-go/actor"
)

// A sparse upload from node "client" into a file on node "server". The
// nodes are simulated here; with actors/node they are processes, and the
// code is the same.
func Example() {
	w := sim.New(1)
	defer w.Close()
	client, server := w.MustNode("client"), w.MustNode("server")
	disk := sim.NewSparseFile(w, "disk.img", sim.FileFaults{})

	// The server: a service whose handler accepts uploads into the file.
	_, err := remote.Serve(server, "files", func(req *remote.Request) error {
		if req.Meta != "put disk.img" {
			return fmt.Errorf("no such file: %s", req.Meta)
		}
		return req.AcceptFileSink(disk, streamactor.FileOptions{})
	}, remote.Options{})
	if err != nil {
		panic(err)
	}

	// The client: a stream end like any other, whose peer is on the server.
	ctx := context.Background()
	svc := actor.NewPID("server", "files")
	st, err := remote.Dial(ctx, client, svc, streamactor.RoleSender, "put disk.img", remote.Options{}, streamactor.Sparse())
	if err != nil {
		panic(err)
	}
	defer st.Free()
	_, _ = st.Send(ctx, []byte("boot sector"))
	_ = st.SendHole(ctx, 1<<20, 0)
	_, _ = st.Send(ctx, []byte("data"))
	fmt.Println("finish:", st.Finish(ctx)) // the server's file is written and synced
	disk.Reopen()                          // the sink closed it: open it again to look
	size, _ := disk.Size()
	fmt.Println("size:", size, "data ranges:", disk.DataRanges())

	_, err = remote.Dial(ctx, client, svc, streamactor.RoleSender, "put other.img", remote.Options{})
	fmt.Println(err)
	// Output:
	// finish: <nil>
	// size: 1048591 data ranges: [[0 4096] [1048576 1048591]]
	// dial server/files: streamactor/remote: the stream service refused: peer server: no such file: put other.img
}
