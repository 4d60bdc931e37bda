// Package planted holds one of each construct the determinism guard
// forbids, each marked "want: <rule>", and the permitted look-alikes next to
// them. It lives under testdata so that nothing builds it but the guard's
// own test.
package planted

import (
	"context"
	crand "crypto/rand"
	"fmt"
	"hash/maphash"
	"io"
	"io/ioutil"
	"maps"
	mrand "math/rand"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"time"
	. "time"
	t "time"
	_ "unsafe"

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

// The constructs below once escaped the guard: references that are not a
// direct pkg.Func(...) call, embedded receivers, generic code, and
// packages and functions the first version did not know.

type waiter struct{ sync.WaitGroup }

type wrappedConn struct{ net.Conn }

func escapes[M ~map[string]int, C ~chan int](ctx actor.Context, m M, c C, w *waiter, cn wrappedConn, f *actor.Future, r *receiver) {
	now := t.Now // want: time
	_ = now
	_ = Now()                   // want: time
	_ = t.Since(t.Time{})       // want: time
	_ = time.Until(time.Time{}) // want: time
	_ = time.NewTimer(1)        // want: time
	_ = time.Tick(1)            // want: time
	_ = Duration(1)

	_ = rand.N[int](3)     // want: rand
	_ = rand.Int           // want: rand
	_ = mrand.Intn(3)      // want: rand
	_, _ = crand.Read(nil) // want: rand
	_ = crand.Reader       // want: rand
	_ = maphash.MakeSeed() // want: rand

	_ = os.Getenv("X")                      // want: io
	_, _ = os.ReadDir(".")                  // want: io
	_, _ = os.Stat(".")                     // want: io
	_ = os.IsNotExist(nil)                  // permitted: no I/O
	_, _ = ioutil.ReadFile("x")             // want: io
	_ = exec.Command("ls").Run()            // want: io
	_, _ = net.LookupHost("x")              // want: io
	_, _ = net.ResolveTCPAddr("tcp", "x:1") // want: io
	_, _, _ = net.SplitHostPort("x:1")      // permitted: no I/O
	_, _ = filepath.Glob("*")               // want: io
	_ = filepath.Join("a", "b")             // permitted: no I/O
	_, _ = cn.Write(nil)                    // want: io

	w.Wait()                                            // want: future
	_ = r.wg.Wait                                       // want: future
	_ = f.Result                                        // want: future
	_ = ctx.RequestFuture                               // want: future
	_ = actor.NewFuture(nil, time.Second)               // want: future
	_ = actor.NewFuture(nil, -1)                        // permitted: no timer
	_ = actor.NewExponentialBackoffStrategy(1, 1)       // want: time
	_ = actor.NewOneForOneStrategy(3, time.Second, nil) // want: time
	_ = actor.NewOneForOneStrategy(3, 0, nil)           // permitted: counts forever

	cx, cancel := context.WithTimeout(context.Background(), time.Second) // want: time
	_ = cancel
	_ = context.AfterFunc(cx, func() {}) // want: go
	w.Go(func() {})                      // want: go
	runtime.Gosched()                    // want: runtime
	_ = runtime.NumGoroutine()           // want: runtime
	_ = runtime.GOMAXPROCS(0)            // permitted: sizing only

	_, _, _ = reflect.Select(nil)               // want: select
	v := reflect.MakeChan(reflect.TypeOf(c), 1) // want: channel
	v.Send(reflect.ValueOf(1))                  // want: channel
	_, _ = v.TryRecv()                          // want: channel
	_ = reflect.ValueOf(m).MapKeys()            // want: maprange
	for k := range maps.Keys(m) {               // want: maprange
		_ = k
	}
	_ = slices.Sorted(maps.Keys(m)) // permitted: sorted

	for k := range m { // want: maprange
		_ = k
	}
	for range c { // want: channel
	}
	_ = make(C)   // want: channel
	for range m { //detguard:unordered counts only
		for range m { // want: maprange
		}
	}
}

// hidden holds constructs that would hide a call from the rules: an I/O
// value behind an interface, a method picked by name, a linkname.
func hidden(file *os.File, conn net.Conn, cn wrappedConn, h *maphash.Hash) (io.Writer, error) {
	var w io.Writer = file             // want: io
	fmt.Fprintln(conn, "x")            // want: io
	_ = []io.Reader{conn}              // want: io
	_ = struct{ W io.Writer }{W: file} // want: io
	_ = io.Writer(cn)                  // want: io
	w = cn                             // want: io
	var same net.Conn = conn           // permitted: still a net.Conn, still checked
	_ = same
	_, _ = h.WriteString("x")                    // want: rand
	_ = maphash.String(maphash.Seed{}, "x")      // want: rand
	_ = reflect.ValueOf(w).MethodByName("Write") // want: reflect
	_ = reflect.TypeOf(w).Method(0)              // want: reflect
	_ = fmt.Sprint(w)                            // permitted: already an interface
	return file, nil                             // want: io
}

//go:linkname nanotime runtime.nanotime
func nanotime() int64 // want on the previous line: linkname
