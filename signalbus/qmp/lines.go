package qmp

// Frame splits QMP input into messages as QEMU's JSON parser does (see
// qjson.go): a message ends when its value is complete — its outermost
// brace or bracket closes, or for a bare scalar at the byte after it —
// or when QEMU's parser gives up on it: a lexical error (an ASCII
// control character other than a blank, one inside a string, a byte QEMU
// never accepts), a closing brace or bracket too many, the nesting
// limit. After a lexical error the input up to the next structural
// character or control character is skipped, as in QEMU; that is how a
// client resets the parser (qmp-spec, "Forcing the JSON parser into
// known-good state"). No newline is needed between messages.
//
// Each message is handed on as its bytes (from its first token to its
// last one, or to the byte QEMU rejected), which Machine.Input parses
// again alone with the same result.
//
// Frame is a sockactor NextFunc source: it asks the socket for one byte
// at a time (a PDU read never reads past what next asked for; the socket
// buffers the rest). Its state outlives a PDU: a PDU ends once a message
// is complete, or after frameChunk bytes, and one byte may complete two
// messages (a number ended by a stray '}'), so Ready tells whether one
// waits already and no read is needed.
//
// A message longer than max is given up at that point: it is reported
// too long, and the rest of it is lexed and discarded up to where QEMU
// would end it.
type Frame struct {
	max     int
	sc      scanner
	ready   []frameOut
	pending bool // scratch holds a byte of this PDU, not fed yet
	n       int  // bytes in this PDU
	scratch [1]byte
}

type frameOut struct {
	line    []byte
	tooLong int
}

// frameChunk bounds one PDU, so that endless input (a value being
// discarded, blanks, bytes skipped after an error) never hits the
// socket's maximum PDU size.
const frameChunk = 64 << 10

// NewFrame returns a frame for messages of at most max bytes.
func NewFrame(max int) *Frame {
	if max < 1 {
		max = 1
	}
	return &Frame{max: max}
}

// Reset prepares the frame for the next PDU.
func (f *Frame) Reset() {
	f.n = 0
	f.pending = false
}

// Ready reports whether a message waits already (Value returns it
// without reading).
func (f *Frame) Ready() bool { return len(f.ready) > 0 }

// Next is the sockactor NextFunc.
func (f *Frame) Next() ([][]byte, error) {
	if f.pending {
		f.pending = false
		f.feed(f.scratch[0])
	}
	if len(f.ready) > 0 || f.n >= frameChunk {
		return nil, nil
	}
	f.n++
	f.pending = true
	return [][]byte{f.scratch[:]}, nil
}

func (f *Frame) feed(c byte) {
	f.sc.feed(c)
	for _, m := range f.sc.out {
		f.ready = append(f.ready, frameOut{line: m.raw})
	}
	f.sc.out = f.sc.out[:0]
	if !f.sc.discard && len(f.sc.raw) > f.max {
		f.ready = append(f.ready, frameOut{tooLong: len(f.sc.raw)})
		f.sc.giveUp()
	}
}

// Value returns the next message. ok is false when none is complete yet
// (the PDU ended at the chunk bound); tooLong > 0 when the message was
// given up at the limit (after that many bytes).
func (f *Frame) Value() (value []byte, tooLong int, ok bool) {
	if len(f.ready) == 0 {
		return nil, 0, false
	}
	out := f.ready[0]
	f.ready[0] = frameOut{}
	f.ready = f.ready[1:]
	return out.line, out.tooLong, true
}
