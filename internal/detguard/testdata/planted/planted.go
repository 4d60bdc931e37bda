// Package planted holds one of each construct the determinism guard
// forbids, each marked "want: <rule>", and the permitted look-alikes next to
// them. It lives under testdata so that nothing builds it but the guard's
// own test.
package planted

import (
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	_ "github.com/asynkron/protoactor-go/scheduler" // want: scheduler
	"golang.org/x/sys/unix"
)

type receiver struct {
	wg   sync.WaitGroup
	seen map[string]int
}

func (r *receiver) Receive(ctx actor.Context) {
	go func() {}()          // want: go
	ch := make(chan int, 1) // want: channel
	ch <- 1                 // want: channel
	<-ch                    // want: channel
	close(ch)               // want: channel
	for range ch {          // want: channel
	}
	select {} // want: select

	_ = time.Now()                   // want: time
	time.Sleep(time.Millisecond)     // want: time
	_ = time.After(time.Second)      // want: time
	time.AfterFunc(time.Second, nil) // want: time
	_ = time.NewTicker(time.Second)  // want: time
	_ = time.Duration(3) * time.Second
	_ = rand.IntN(3)                // want: rand
	_ = rand.New(rand.NewPCG(1, 2)) // permitted: a seeded generator

	f := ctx.RequestFuture(ctx.Self(), "x", time.Second) // want: future
	_ = ctx.RequestFuture(ctx.Self(), "x", -1)           // permitted: no timer
	_, _ = f.Result()                                    // want: future
	_ = f.Wait()                                         // want: future
	r.wg.Wait()                                          // want: future
	_ = ctx.StopFuture(ctx.Self())                       // want: future
	ctx.SetReceiveTimeout(time.Second)                   // want: timeout
	_ = actor.Bounded(10)                                // want: mailbox

	f2, _ := os.Open("/etc/hosts") // want: io
	_, _ = f2.ReadAt(nil, 0)       // want: io
	c, _ := net.Dial("tcp", "x:1") // want: io
	_, _ = c.Write(nil)            // want: io
	_ = unix.Fsync(0)              // want: io
	_ = net.ParseIP("::1").String()

	for k := range r.seen { // want: maprange
		_ = k
	}
	for k := range r.seen { //detguard:unordered only counts
		_ = k
	}
	//detguard:unordered the sum does not depend on order
	for _, v := range r.seen {
		_ = v
	}
	for i := range []int{1, 2} {
		_ = i
	}
}
