package qmp

// Frame splits QMP input into top-level JSON values, as QEMU's JSON
// streamer does: a value ends when its outermost brace or bracket closes
// (or, for a bare scalar, at the next blank), whether or not a newline
// follows, and blanks between values are skipped. It is a sockactor
// NextFunc source: it asks the socket for one byte at a time (a PDU read
// never reads past what next asked for; the socket buffers the rest), so a
// PDU ends exactly where the value does.
//
// A value longer than max is cut short: its PDU ends there with TooLong
// set, and the frame then discards the rest of that value (still tracking
// its nesting) in PDUs of their own before the next value. A byte QEMU's
// lexer rejects wherever it comes ends the value at once, and it then
// fails to parse: an ASCII control character other than a blank outside a
// string, any control character inside one (raw newlines and tabs
// included, as JSON has them escaped there), and 0xFE or 0xFF. That is how
// a client resets the parser (qmp-spec, "Forcing the JSON parser into
// known-good state"), also from inside an unterminated string.
type Frame struct {
	max        int
	buf        []byte
	tooLong    int
	discarding bool // the current value is being discarded
	discardPDU bool // this PDU is a discarded part
	n          int  // bytes in this discard PDU
	scratch    [1]byte
	st         scanState
}

type scanState struct {
	started bool
	scalar  bool
	depth   int
	inStr   byte // the quote of the open string, or 0
	escape  bool
	done    bool
	bad     bool // done at a byte QEMU's lexer rejects (lexicalError)
}

// lexicalError reports whether QEMU's JSON lexer rejects c there: inside a
// string any control character (and 0xFE, 0xFF, never in UTF-8);
// elsewhere the same but for the blanks.
func lexicalError(c byte, inString bool) bool {
	if c >= 0xFE {
		return true
	}
	if inString {
		return c < 0x20
	}
	return c < 0x20 && c != '\t' && c != '\r' && c != '\n'
}

// feed advances the scanner over c and reports whether c belongs to the
// value (false: a blank before the value starts, or the blank ending a
// scalar).
func (s *scanState) feed(c byte) bool {
	if !s.started {
		switch c {
		case ' ', '\t', '\r', '\n':
			return false
		}
		s.started = true
		switch c {
		case '{', '[':
			s.depth = 1
		case '"', '\'':
			s.scalar, s.inStr = true, c
		case '}', ']':
			s.done = true
		default:
			if lexicalError(c, false) {
				s.done, s.bad = true, true
			} else {
				s.scalar = true
			}
		}
		return true
	}
	if s.inStr != 0 {
		switch {
		case lexicalError(c, true): // even after a backslash
			s.done, s.bad = true, true
		case s.escape:
			s.escape = false
		case c == '\\':
			s.escape = true
		case c == s.inStr:
			s.inStr = 0
			if s.scalar && s.depth == 0 {
				s.done = true
			}
		}
		return true
	}
	if s.scalar {
		switch c {
		case ' ', '\t', '\r', '\n':
			s.done = true
			return false
		}
		if lexicalError(c, false) {
			s.done, s.bad = true, true
		}
		return true
	}
	switch {
	case c == '"' || c == '\'':
		s.inStr = c
	case c == '{' || c == '[':
		s.depth++
	case c == '}' || c == ']':
		s.depth--
		if s.depth == 0 {
			s.done = true
		}
	case lexicalError(c, false):
		s.done, s.bad = true, true
	}
	return true
}

// discardChunk bounds one discarding PDU, so an endless value never hits
// the socket's maximum PDU size.
const discardChunk = 64 << 10

// NewFrame returns a frame for values of at most max bytes.
func NewFrame(max int) *Frame {
	if max < 1 {
		max = 1
	}
	return &Frame{max: max, buf: make([]byte, 0, 256)}
}

// Reset prepares the frame for the next PDU.
func (f *Frame) Reset() {
	f.buf = f.buf[:0]
	f.tooLong = 0
	f.n = 0
	f.discardPDU = f.discarding
	if !f.discarding {
		f.st = scanState{}
	}
}

// Next is the sockactor NextFunc.
func (f *Frame) Next() ([][]byte, error) {
	if f.discardPDU {
		if f.n > 0 {
			f.st.feed(f.scratch[0])
			if f.st.done {
				f.discarding = false
				return nil, nil
			}
		}
		if f.n >= discardChunk {
			return nil, nil
		}
		f.n++
		return [][]byte{f.scratch[:]}, nil
	}
	if len(f.buf) > 0 {
		last := f.buf[len(f.buf)-1]
		if !f.st.feed(last) {
			f.buf = f.buf[:len(f.buf)-1] // a blank, not part of the value
		}
		if f.st.done {
			return nil, nil
		}
		if len(f.buf) > f.max {
			f.tooLong = len(f.buf)
			f.discarding = true
			return nil, nil
		}
	}
	f.buf = append(f.buf, 0)
	return [][]byte{f.buf[len(f.buf)-1:]}, nil
}

// Value returns the value just read. ok is false when the PDU was a
// discarded part of a long value; tooLong > 0 when the value was cut at
// the limit.
func (f *Frame) Value() (value []byte, tooLong int, ok bool) {
	switch {
	case f.discardPDU:
		return nil, 0, false
	case f.tooLong > 0:
		return nil, f.tooLong, true
	case !f.st.done:
		return nil, 0, false
	}
	out := make([]byte, len(f.buf))
	copy(out, f.buf)
	return out, 0, true
}

// strayToken reports whether value v ends at a byte QEMU's lexer rejects
// (as a Frame ends it: a client resetting the parser), and returns the
// token QEMU reports as stray then: the open string from its quote on,
// or the byte alone.
func strayToken(v []byte) ([]byte, bool) {
	var s scanState
	start := 0
	for i, c := range v {
		if !s.started || s.inStr == 0 {
			start = i
		}
		s.feed(c)
		if s.done {
			if s.bad && i == len(v)-1 {
				if s.inStr != 0 {
					return v[start:], true
				}
				return v[i:], true
			}
			return nil, false
		}
	}
	return nil, false
}
