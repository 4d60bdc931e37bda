package sim

import (
	"sync/atomic"
	"time"

	"github.com/actorio/actorio/actors"
)

// Epoch is the wall-clock reading of virtual time zero in every run.
var Epoch = time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)

// vclock is the World's virtual clock: a timer heap ordered by (when, seq).
// Time only moves when the loop finds nothing runnable; it then jumps to
// the earliest timer.
type vclock struct {
	w      *World
	now    time.Duration // the loop's reading; set it with set
	seq    uint64
	timers []*vtimer // binary min-heap
	// shown is now for readers on any goroutine (Now): the loop writes
	// it with now, others may read it while the World runs.
	shown atomic.Int64
}

// set moves the clock to now.
func (c *vclock) set(now time.Duration) {
	c.now = now
	c.shown.Store(int64(now))
}

type vtimer struct {
	w     *World
	when  time.Duration
	seq   uint64
	f     func()
	index int   // position in the heap, -1 once fired or stopped
	owner *node // the node whose actor set the timer; nil for devices
	epoch int   // the owner's incarnation then
	wire  *wire // set when it delivers network traffic (held.go)
}

// Now implements actors.Clock. Unlike the clock's other methods it may
// be called from any goroutine, also while the World runs: it returns
// the virtual time the World last moved to.
func (c *vclock) Now() time.Time { return Epoch.Add(time.Duration(c.shown.Load())) }

// AfterFunc implements actors.Clock: f runs on the simulation loop at
// now+d of virtual time.
func (c *vclock) AfterFunc(d time.Duration, f func()) actors.Stopper {
	if !c.w.onLoop() {
		c.w.escaped("Clock.AfterFunc", "")
		return stoppedTimer{}
	}
	var owner *node
	if m := c.w.current; m != nil {
		owner = m.n
	}
	return c.afterFunc(d, owner, f)
}

// afterFunc schedules f at now+d on behalf of owner (nil for a device);
// a timer whose owner crashed never runs.
func (c *vclock) afterFunc(d time.Duration, owner *node, f func()) *vtimer {
	if d < 0 {
		d = 0
	}
	c.seq++
	t := &vtimer{w: c.w, when: c.now + d, seq: c.seq, f: f, owner: owner}
	if owner != nil {
		t.epoch = owner.epoch
	}
	c.push(t)
	return t
}

// Stop implements actors.Stopper.
func (t *vtimer) Stop() bool {
	if !t.w.onLoop() {
		t.w.escaped("Timer.Stop", "")
		return false
	}
	if t.index < 0 {
		return false
	}
	t.w.clock.remove(t.index)
	return true
}

type stoppedTimer struct{}

func (stoppedTimer) Stop() bool { return false }

func (c *vclock) less(i, j int) bool {
	a, b := c.timers[i], c.timers[j]
	return a.when < b.when || (a.when == b.when && a.seq < b.seq)
}

func (c *vclock) swap(i, j int) {
	c.timers[i], c.timers[j] = c.timers[j], c.timers[i]
	c.timers[i].index = i
	c.timers[j].index = j
}

func (c *vclock) push(t *vtimer) {
	t.index = len(c.timers)
	c.timers = append(c.timers, t)
	c.up(t.index)
}

// pop removes and returns the earliest timer.
func (c *vclock) pop() *vtimer {
	t := c.timers[0]
	c.remove(0)
	return t
}

func (c *vclock) remove(i int) {
	last := len(c.timers) - 1
	t := c.timers[i]
	if i != last {
		c.swap(i, last)
	}
	c.timers[last] = nil
	c.timers = c.timers[:last]
	if i != last {
		if !c.down(i) {
			c.up(i)
		}
	}
	t.index = -1
}

func (c *vclock) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !c.less(i, p) {
			return
		}
		c.swap(i, p)
		i = p
	}
}

func (c *vclock) down(i int) bool {
	start, n := i, len(c.timers)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && c.less(r, l) {
			m = r
		}
		if !c.less(m, i) {
			break
		}
		c.swap(i, m)
		i = m
	}
	return i > start
}

// next returns when the earliest timer is due, and whether there is one.
func (c *vclock) next() (time.Duration, bool) {
	if len(c.timers) == 0 {
		return 0, false
	}
	return c.timers[0].when, true
}
