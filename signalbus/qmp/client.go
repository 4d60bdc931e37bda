package qmp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/actorio/actorio/internal/goid"
	"github.com/actorio/actorio/signalbus"
	"github.com/pkg/errors"
)

// Client is a QMP client (the proposal's libqmp, untyped; cmd/signalgen
// generates a typed one on top). It is ordinary Go, not an actor: one
// goroutine reads the socket, another runs event handlers one at a time,
// in order. Commands carry ids, so several may be in flight. Handlers
// may call the client's methods, Close included.
type Client struct {
	conn     net.Conn
	Greeting json.RawMessage
	maxLine  int // bytes in a line read (WithMaxLine)

	wsem chan struct{} // holds one token while a command is written

	mu       sync.Mutex
	nextID   uint64
	pending  map[string]*pendingCall
	handlers map[string]func(Event) // by tag; "" for untagged events
	queue    []Event
	wake     chan struct{}
	closed   bool
	closing  bool // Close was called: the executor runs no more handlers
	err      error
	done     chan struct{}
	wg       sync.WaitGroup // the reader and the late disconnects it starts

	executor     atomic.Uint64 // the event executor's goroutine id, once it runs
	executorDone chan struct{} // closed when the event executor returns
}

// Event is one event as the client sees it.
type Event struct {
	Event     string
	Data      json.RawMessage // nil when the event had none
	Tag       string          // set on events of explicit connections
	Timestamp time.Time
}

type pendingCall struct {
	done     chan struct{}
	ret      json.RawMessage
	err      error
	onReturn func(ret json.RawMessage) // run by the reader before it reads on
}

// LateDisconnectTimeout bounds the disconnect a Client sends for a
// connection whose Connect call gave up before the server's reply.
const LateDisconnectTimeout = 10 * time.Second

// ClientOption configures Dial.
type ClientOption func(*clientConfig)

type clientConfig struct {
	noDefaults bool
	maxLine    int
}

// DefaultClientMaxLine bounds a line the client reads (the greeting, a
// reply, an event) unless WithMaxLine says otherwise: 10 MiB, as the
// reference Python client (qemu.qmp) and libvirt allow; QEMU's
// query-qmp-schema reply alone is over 100 KB.
const DefaultClientMaxLine = 10 << 20

// WithMaxLine bounds the lines the client reads to n bytes (n < 1: the
// default, DefaultClientMaxLine). A longer line fails the client: the
// connection is closed and every call waiting for its reply, and every
// call after, fails with an error naming the limit.
func WithMaxLine(n int) ClientOption { return func(c *clientConfig) { c.maxLine = n } }

// WithoutDefaults sends disconnect-default-signals during capabilities
// negotiation: the session then only receives what it connects.
func WithoutDefaults() ClientOption { return func(c *clientConfig) { c.noDefaults = true } }

// Dial connects to a QMP server, reads the greeting and negotiates
// capabilities. A server that sends an error instead of the greeting
// (over its session limit) makes Dial return that error (an *Error);
// one whose greeting is not QMP's, an error wrapping ErrProtocol.
func Dial(ctx context.Context, network, addr string, opts ...ClientOption) (*Client, error) {
	var cfg clientConfig
	for _, o := range opts {
		o(&cfg)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, errors.Wrapf(err, "qmp: dial %s %s", network, addr)
	}
	return start(ctx, conn, network+" "+addr, cfg)
}

// start reads the greeting on conn (reached at where) and negotiates
// capabilities; on failure it closes conn.
func start(ctx context.Context, conn net.Conn, where string, cfg clientConfig) (*Client, error) {
	c := &Client{conn: conn, pending: map[string]*pendingCall{}, handlers: map[string]func(Event){},
		wake: make(chan struct{}, 1), done: make(chan struct{}), executorDone: make(chan struct{}),
		wsem: make(chan struct{}, 1)}
	if cfg.maxLine < 1 {
		cfg.maxLine = DefaultClientMaxLine
	}
	c.maxLine = cfg.maxLine
	r := bufio.NewReaderSize(conn, 64<<10)
	// ctx ending (cancelled, or at its deadline) ends the wait: a read
	// deadline long past, as net/http does (no wall clock needed).
	unwatch := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	g, err := readLine(r, c.maxLine)
	if !unwatch() {
		// ctx ended: the dial fails with its error, whatever the read got
		// (the read deadline may be set).
		err = ctx.Err()
	}
	if err == nil {
		err = checkGreeting(g)
	}
	if err != nil {
		conn.Close()
		return nil, errors.Wrapf(err, "qmp: reading the greeting from %s", where)
	}
	_ = conn.SetReadDeadline(time.Time{})
	c.Greeting = json.RawMessage(g)
	c.wg.Add(1)
	go c.read(r)
	go c.dispatch()
	if cfg.noDefaults {
		if err := c.Execute(ctx, "disconnect-default-signals", nil, nil); err != nil {
			c.Close()
			return nil, errors.Wrapf(err, "qmp: negotiating capabilities with %s", where)
		}
	}
	if err := c.Execute(ctx, "qmp_capabilities", nil, nil); err != nil {
		c.Close()
		return nil, errors.Wrapf(err, "qmp: negotiating capabilities with %s", where)
	}
	return c, nil
}

// OnEvent sets the handler of untagged events (the default connections).
func (c *Client) OnEvent(f func(Event)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers[""] = f
}

// Execute runs command name with args (nil, or a nil map or pointer:
// none) and decodes its return
// into result (nil: ignored). A QMP error is returned as *Error.
func (c *Client) Execute(ctx context.Context, name string, args any, result any) error {
	return c.execute(ctx, name, args, result, nil, nil)
}

// execute runs a command. onReturn, if set, runs on the reader when the
// command succeeds; late, if set, replaces it when ctx ends after the
// command was sent and before its reply came (the command still runs on
// the server, and late may undo it).
func (c *Client) execute(ctx context.Context, name string, args any, result any, onReturn, late func(json.RawMessage)) error {
	c.mu.Lock()
	if c.closed {
		err := c.err
		c.mu.Unlock()
		return errors.Wrapf(err, "qmp: %s", name)
	}
	c.nextID++
	id := strconv.FormatUint(c.nextID, 10)
	p := &pendingCall{done: make(chan struct{}), onReturn: onReturn}
	c.pending[id] = p
	c.mu.Unlock()
	req := map[string]any{"execute": name, "id": id}
	if !isNil(args) {
		req["arguments"] = args
	}
	b, err := json.Marshal(req)
	if err != nil {
		c.forget(id)
		return errors.Wrapf(err, "qmp: %s: encoding arguments", name)
	}
	if err := c.write(ctx, append(b, '\n')); err != nil {
		c.forget(id)
		return errors.Wrapf(err, "qmp: %s", name)
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		if c.abandon(id, p, late) {
			return errors.Wrapf(ctx.Err(), "qmp: %s", name)
		}
		<-p.done // the reply (or the connection's end) came meanwhile: it is the result
	}
	if p.err != nil {
		return p.err
	}
	if result != nil {
		if err := json.Unmarshal(p.ret, result); err != nil {
			return errors.Wrapf(err, "qmp: %s: decoding the return", name)
		}
	}
	return nil
}

// isNil reports whether args stands for no arguments: nil, or a nil map
// or pointer (a map[string]any(nil) would otherwise go out as
// "arguments": null, which QMP refuses).
func isNil(args any) bool {
	if args == nil {
		return true
	}
	switch v := reflect.ValueOf(args); v.Kind() {
	case reflect.Map, reflect.Pointer, reflect.Interface:
		return v.IsNil()
	}
	return false
}

// write writes one command, the only write at a time; ctx ending stops
// the wait for the writes before it and the write itself, which then
// returns ctx's error. A command cut short leaves the server's parser in
// the middle of a value: the client is then failed (as when the
// connection is lost), since nothing written after would be understood.
func (c *Client) write(ctx context.Context, b []byte) error {
	select {
	case c.wsem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.wsem }()
	c.mu.Lock()
	closed, cerr := c.closed, c.err
	c.mu.Unlock()
	if closed { // meanwhile
		return cerr
	}
	var mu sync.Mutex
	written := false
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !written {
			_ = c.conn.SetWriteDeadline(time.Unix(1, 0)) // long past: the write returns
		}
	})
	n, err := c.conn.Write(b)
	mu.Lock()
	written = true
	mu.Unlock()
	if !stop() {
		_ = c.conn.SetWriteDeadline(time.Time{})
	}
	if err == nil {
		return nil
	}
	if n > 0 {
		c.shut(errors.Errorf("qmp: a command was cut short after %d of its %d bytes", n, len(b)))
		_ = c.conn.Close()
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// abandon gives up waiting for call id (p): its reply will run late
// instead of p's onReturn, or nothing. It reports false when p was
// already answered or failed, so the caller takes that result instead.
func (c *Client) abandon(id string, p *pendingCall, late func(json.RawMessage)) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending[id] != p {
		return false
	}
	if late == nil {
		delete(c.pending, id)
	} else {
		p.onReturn = late
	}
	return true
}

func (c *Client) forget(id string) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// Connect runs <accessor>-connect with args and, before any event of the
// new connection can be dispatched, binds f to its tag. f runs on the
// client's event goroutine, one event at a time. If ctx ends after the
// command was sent, Connect returns ctx's error and, should the server
// still make the connection, the client disconnects it once the reply
// comes (within LateDisconnectTimeout, with args as well as the tag),
// so that no connection the caller never saw stays on the server.
func (c *Client) Connect(ctx context.Context, accessor string, args map[string]any, f func(Event)) (signalbus.Handle, error) {
	var tag string
	dargs := disconnectArgs("", args) // copied now: the caller may reuse args once Connect returns
	err := c.execute(ctx, accessor+"-connect", args, nil, func(ret json.RawMessage) {
		if json.Unmarshal(ret, &tag) == nil && tag != "" {
			c.handlers[tag] = f // the reader holds c.mu
		}
	}, func(ret json.RawMessage) {
		var late string
		if json.Unmarshal(ret, &late) != nil || late == "" {
			return
		}
		c.wg.Add(1) // the reader, still counted, adds: Close's Wait is safe
		go func() {
			defer c.wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), LateDisconnectTimeout)
			defer cancel()
			dargs["tag"] = late
			_ = c.Execute(ctx, accessor+"-disconnect", dargs, nil)
		}()
	})
	if err != nil {
		return "", err
	}
	return signalbus.Handle(tag), nil
}

// Disconnect runs <accessor>-disconnect for h with the accessor's args
// (nil: none); once it returns, f is never called again for h (a call
// already running may finish, unless Disconnect was called from inside
// it). If the server refuses (a *Error: the connection is still there),
// f stays bound to h; if the outcome is unknown (ctx ended, the
// connection was lost), f is unbound all the same.
func (c *Client) Disconnect(ctx context.Context, accessor string, h signalbus.Handle, args map[string]any) error {
	err := c.execute(ctx, accessor+"-disconnect", disconnectArgs(h, args), nil, func(json.RawMessage) {
		// Unbound by the reader (which holds c.mu) as it takes the
		// return: no event queued behind it finds f.
		delete(c.handlers, string(h))
	}, nil)
	var qe *Error
	if err != nil && !errors.As(err, &qe) {
		c.mu.Lock()
		delete(c.handlers, string(h))
		c.mu.Unlock()
	}
	return err
}

// disconnectArgs returns the arguments of <accessor>-disconnect: the
// accessor's args (copied) and the tag h, which no member of args
// replaces.
func disconnectArgs(h signalbus.Handle, args map[string]any) map[string]any {
	a := make(map[string]any, len(args)+1)
	for k, v := range args { //detguard:unordered copying into a map
		a[k] = v
	}
	a["tag"] = string(h)
	return a
}

// Close closes the connection, fails the calls still waiting for their
// reply and stops the client's goroutines: once it returns, no handler
// starts again (events still queued are dropped) and Execute, Connect
// and Disconnect fail at once. It returns the error of closing the
// connection, so a second Close reports it already closed.
//
// Close also waits for a handler that is running to return, unless that
// wait could never end: called from one of this client's own handlers
// (say, on a shutdown event) it cannot wait for the goroutine it runs
// on, and called from another client's handler it does not wait for a
// handler that is itself waiting in Close, directly or through other
// clients' handlers, for the caller's handler (two clients whose
// handlers close each other). Close then returns, and the handler's
// goroutine ends as soon as the handler returns.
func (c *Client) Close() error {
	err := c.conn.Close()
	c.mu.Lock()
	c.closing = true
	c.mu.Unlock()
	c.shut(errors.New("qmp: client closed"))
	c.wg.Wait() // the reader ends with the connection, late disconnects fail at once
	c.awaitExecutor()
	return err
}

// closeWaits records, for each goroutine waiting in Close, the event
// executor it waits for. Close does not wait for an executor whose chain
// of waits leads back to the caller: that executor is running a handler
// that waits, through Close, for the caller to return.
var closeWaits = struct {
	sync.Mutex
	on map[uint64]uint64 // goroutine id → id of the executor it waits for
}{on: map[uint64]uint64{}}

// awaitExecutor waits for the event executor to end, unless the caller
// is that executor, or that executor waits in Close, directly or through
// other executors, for the caller (see Close).
func (c *Client) awaitExecutor() {
	target, self := c.executor.Load(), goid.Get()
	if target == 0 || self == 0 { // no executor running yet, or no id
		<-c.executorDone
		return
	}
	closeWaits.Lock()
	for g := target; g != 0; g = closeWaits.on[g] {
		if g == self {
			closeWaits.Unlock()
			return
		}
	}
	closeWaits.on[self] = target
	closeWaits.Unlock()
	<-c.executorDone
	closeWaits.Lock()
	delete(closeWaits.on, self)
	closeWaits.Unlock()
}

func (c *Client) shut(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed, c.err = true, err
	for id, p := range c.pending { //detguard:unordered each pending call fails alike
		p.err = errors.Wrap(err, "qmp")
		close(p.done)
		delete(c.pending, id)
	}
	close(c.done)
}

// read is the reader: it hands replies to their calls and queues events
// for the executor, until the connection ends or the server breaks the
// protocol (a line over the limit, one that is not a JSON object, an
// error answering no command: the client then fails and closes the
// connection, as the reference client qemu.qmp does). A reply with an
// id no call waits for is dropped (qmp-spec: "Clients should drop all
// the responses that have an unknown id field").
func (c *Client) read(r *bufio.Reader) {
	defer c.wg.Done()
	for {
		b, err := readLine(r, c.maxLine)
		if err != nil {
			if errors.Is(err, ErrLineTooLong) {
				c.fail(err)
				return
			}
			c.shut(errors.Wrap(err, "connection lost"))
			return
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue // a blank line carries nothing
		}
		var msg serverMessage
		if err := json.Unmarshal(b, &msg); err != nil {
			c.fail(errors.Wrapf(ErrProtocol, "the server sent %s, which is not a QMP message: %v", quoteLine(b), err))
			return
		}
		if msg.Event != "" {
			c.mu.Lock()
			c.queue = append(c.queue, Event{Event: msg.Event, Data: msg.Data, Tag: msg.Tag,
				Timestamp: time.Unix(msg.Timestamp.Seconds, msg.Timestamp.Microseconds*1000)})
			c.mu.Unlock()
			select {
			case c.wake <- struct{}{}:
			default:
			}
			continue
		}
		if msg.ID == nil && msg.Error != nil {
			c.fail(errors.Wrapf(ErrProtocol, "the server sent an error answering no command (it could not parse one): %s", msg.Error))
			return
		}
		var id string
		_ = json.Unmarshal(msg.ID, &id)
		c.mu.Lock()
		p := c.pending[id]
		delete(c.pending, id)
		if p != nil {
			switch {
			case msg.Error != nil:
				p.err = msg.Error
			case msg.Return == nil:
				// Neither "return" nor "error": not a response
				// (qmp-spec); only this call fails.
				p.err = errors.Wrapf(ErrProtocol, "the server answered with %s, which has neither \"return\" nor \"error\"", quoteLine(b))
			default:
				p.ret = msg.Return
				if p.onReturn != nil {
					p.onReturn(msg.Return)
				}
			}
			close(p.done)
		}
		c.mu.Unlock()
	}
}

// fail ends the client on the server's fault: the calls waiting fail
// with err, and the connection is closed.
func (c *Client) fail(err error) {
	c.shut(err)
	_ = c.conn.Close()
}

// dispatch runs handlers one event at a time: the serial executor. It
// returns once the client is shut, or, after Close, as soon as the
// handler it runs returns.
func (c *Client) dispatch() {
	defer close(c.executorDone)
	c.executor.Store(goid.Get())
	for {
		// The events queued before the connection ended are still
		// handled (QEMU sends SHUTDOWN, then exits): when the end and a
		// wake-up are both ready, select may pick either, so the end
		// drains the queue too before it returns. Close empties the
		// queue (closing) instead.
		last := false
		select {
		case <-c.wake:
		case <-c.done:
			last = true
		}
		for {
			c.mu.Lock()
			if c.closing {
				c.queue = nil
				c.mu.Unlock()
				return
			}
			if len(c.queue) == 0 {
				c.mu.Unlock()
				if last {
					return
				}
				break
			}
			ev := c.queue[0]
			c.queue = c.queue[1:]
			f := c.handlers[ev.Tag]
			c.mu.Unlock()
			if f != nil {
				f(ev)
			}
		}
	}
}
