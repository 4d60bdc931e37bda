package sockactor

import (
	"fmt"
	"sync/atomic"
	"testing"
)

// recordingFinisher is a Go handle double that logs what it is given.
type recordingFinisher struct {
	name   string
	log    *[]string
	onDone func()
}

func (f *recordingFinisher) finish(c *Completion) {
	*f.log = append(*f.log, fmt.Sprintf("%s:%d", f.name, c.N))
	if f.onDone != nil {
		f.onDone()
	}
}

func (f *recordingFinisher) abort(err error) { *f.log = append(*f.log, f.name+":abort") }

func heldRecord(id ReqID, h finisher) reqRecord {
	msg := &Writev{}
	msg.h = h
	atomic.StoreUint64(&msg.id, uint64(id))
	return reqRecord{msg: msg, h: h}
}

// The linger delivers what it held in order, also what is held while it
// delivers (a socket actor still running on another goroutine), and only
// then runs what finalize left to it; the message of each delivered
// request is free again and no longer names its handle.
func TestLingerOrder(t *testing.T) {
	var log []string
	l := &linger{}
	if l.hold(heldRecord(1, nil), &Completion{ID: 1}) {
		t.Fatal("held before it was armed")
	}
	l.arm(nil, nil, 7)
	third := heldRecord(3, &recordingFinisher{name: "c", log: &log})
	first := heldRecord(1, &recordingFinisher{name: "a", log: &log, onDone: func() {
		// A completion the actor holds while release delivers.
		if !l.hold(third, &Completion{ID: 3, N: 3}) {
			t.Error("a completion was not held while release delivered the earlier ones")
		}
	}})
	second := heldRecord(2, &recordingFinisher{name: "b", log: &log})
	for i, r := range []reqRecord{first, second} {
		if !l.hold(r, &Completion{ID: ReqID(i + 1), N: i + 1}) {
			t.Fatal("not held while armed")
		}
	}
	l.finally(func() { log = append(log, "stopped") })
	if len(log) != 0 {
		t.Fatalf("ran before the release: %v", log)
	}
	l.release(6) // another endpoint's report
	if len(log) != 0 {
		t.Fatalf("released by another endpoint's report: %v", log)
	}
	l.release(7)
	if got, want := fmt.Sprint(log), "[a:1 b:2 c:3 stopped]"; got != want {
		t.Fatalf("release ran %s, want %s", got, want)
	}
	for _, r := range []reqRecord{first, second, third} {
		if st := r.msg.state(); st.id != 0 || st.h != nil {
			t.Fatalf("a delivered request's message still taken: id %d, handle %v", st.id, st.h)
		}
	}
	if l.hold(heldRecord(4, nil), &Completion{ID: 4}) {
		t.Fatal("held after the release")
	}
	ran := false
	l.finally(func() { ran = true })
	if !ran {
		t.Fatal("finally after the release did not run at once")
	}
}
