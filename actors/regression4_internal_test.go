package actors

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
)

// probeInvoker is a MessageInvoker for a bare leanMailbox that checks
// what a mailbox promises its actor: one handler at a time, each
// sender's messages in the order posted ([2]int{sender, seq}, seq from 1),
// each exactly once, and system messages ([2]int{-1-sender, seq}) ahead
// of the same sender's later user messages.
type probeInvoker struct {
	busy    atomic.Bool
	mu      sync.Mutex
	last    map[int]int // user seq last handled, by sender
	lastSys map[int]int // system seq last handled, by sender
	handled atomic.Int64
	bad     []string
	onUser  func(msg [2]int) // called for each user message, nil for none
	sysToo  bool             // each user message follows its sender's system message of the same seq
	mb      *leanMailbox     // if set, no user message is handled while it is suspended
}

func newProbeInvoker() *probeInvoker {
	return &probeInvoker{last: map[int]int{}, lastSys: map[int]int{}}
}

func (p *probeInvoker) failf(format string, args ...any) {
	p.mu.Lock()
	if len(p.bad) < 10 {
		p.bad = append(p.bad, fmt.Sprintf(format, args...))
	}
	p.mu.Unlock()
}

func (p *probeInvoker) enter() {
	if !p.busy.CompareAndSwap(false, true) {
		p.failf("two goroutines in the handler at once")
	}
}

func (p *probeInvoker) leave() { p.busy.Store(false) }

// InvokeUserMessage implements actor.MessageInvoker.
func (p *probeInvoker) InvokeUserMessage(message any) {
	p.enter()
	defer p.leave()
	m, ok := message.([2]int)
	if !ok {
		return
	}
	p.mu.Lock()
	if m[1] != p.last[m[0]]+1 {
		if len(p.bad) < 10 {
			p.bad = append(p.bad, fmt.Sprintf("sender %d: message %d after %d", m[0], m[1], p.last[m[0]]))
		}
	}
	p.last[m[0]] = m[1]
	p.mu.Unlock()
	if p.lastSys[m[0]] < m[1] && p.sysToo {
		if len(p.bad) < 10 {
			p.bad = append(p.bad, fmt.Sprintf("sender %d: user message %d before its system message %d", m[0], m[1], p.lastSys[m[0]]+1))
		}
	}
	if p.mb != nil && p.mb.suspended.Load() {
		if len(p.bad) < 10 {
			p.bad = append(p.bad, fmt.Sprintf("sender %d: message %d handled while suspended", m[0], m[1]))
		}
	}
	p.handled.Add(1)
	if p.onUser != nil {
		p.onUser(m)
	}
}

// InvokeSystemMessage implements actor.MessageInvoker.
func (p *probeInvoker) InvokeSystemMessage(message any) {
	p.enter()
	defer p.leave()
	m, ok := message.([2]int)
	if !ok {
		return
	}
	p.mu.Lock()
	p.lastSys[-1-m[0]] = m[1]
	p.mu.Unlock()
}

// EscalateFailure implements actor.MessageInvoker.
func (p *probeInvoker) EscalateFailure(reason, message any) {
	p.failf("escalated %v for %v", reason, message)
}

func (p *probeInvoker) check(t *testing.T, want int64) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.bad) > 0 {
		t.Fatal(p.bad)
	}
	if got := p.handled.Load(); got != want {
		t.Fatalf("%d messages handled, want %d", got, want)
	}
}

// newInlineLean is a LeanMailbox on the inline dispatcher, as HotPath
// gives, handing its messages to inv.
func newInlineLean(inv actor.MessageInvoker) *leanMailbox {
	m := LeanMailbox()().(*leanMailbox)
	m.RegisterHandlers(inv, InlineDispatcher())
	return m
}

// oversubscribe runs the rest of the test with many more Ps than CPUs, so
// that the OS preempts threads anywhere, also inside a mailbox's short
// windows, which a goroutine on a P of its own rarely leaves mid-way.
func oversubscribe(t *testing.T) {
	prev := runtime.GOMAXPROCS(32)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
}

// TestLeanMailboxSenderOrderStress: several goroutines post to one
// inline LeanMailbox at once; each one's messages are handled in the
// order it posted them, each exactly once, one at a time.
//
// Found in review of the inline fast path: enqueue pushed a message and
// counted it after unlocking, and the runner popped by position but
// uncounted by number, so a runner could pop a message whose poster had
// not yet counted it, using up the count of a message behind it that
// another sender had already posted; the mailbox then looked empty
// (count 0) with that message still queued, and the same sender's next
// message took the fast path ahead of it.
func TestLeanMailboxSenderOrderStress(t *testing.T) {
	oversubscribe(t)
	p := newProbeInvoker()
	m := newInlineLean(p)
	const senders, each = 3, 100000
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= each; i++ {
				m.PostUserMessage([2]int{s, i})
			}
		}()
	}
	wg.Wait()
	p.check(t, senders*each)
	if n := m.UserMessageCount(); n != 0 {
		t.Fatalf("%d messages left counted", n)
	}
}

// TestLeanMailboxSystemFirstStress: each sender posts a system message
// and then a user message, over and over, several senders at once; the
// actor handles each user message only after the system message its
// sender posted before it (system messages are never overtaken by a
// later user message, also not through the inline fast path).
//
// Found in review: the system count had the same window as the user
// count (pushed, then counted after unlocking), so a runner could pop an
// uncounted system message on another's count, leaving a posted system
// message queued with the count at 0; the run loop then skipped the
// system queue and the fast path took the sender's next user message
// ahead of it.
func TestLeanMailboxSystemFirstStress(t *testing.T) {
	oversubscribe(t)
	p := newProbeInvoker()
	p.sysToo = true
	m := newInlineLean(p)
	const senders, each = 8, 30000
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= each; i++ {
				m.PostSystemMessage([2]int{-1 - s, i})
				m.PostUserMessage([2]int{s, i})
			}
		}()
	}
	wg.Wait()
	p.check(t, senders*each)
}

// TestLeanMailboxSuspendStress: while senders post, another goroutine
// suspends and resumes the mailbox, as many times as each posts; no user message is
// handled while the mailbox is suspended, and after the last resume
// every message has been handled once, each sender's in order.
func TestLeanMailboxSuspendStress(t *testing.T) {
	oversubscribe(t)
	p := newProbeInvoker()
	m := newInlineLean(p)
	p.mb = m
	const senders, each = 4, 20000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range each {
			m.PostSystemMessage(&actor.SuspendMailbox{})
			runtime.Gosched() // let the senders find it suspended
			m.PostSystemMessage(&actor.ResumeMailbox{})
		}
	}()
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= each; i++ {
				m.PostUserMessage([2]int{s, i})
			}
		}()
	}
	wg.Wait()
	p.check(t, senders*each)
}
