package schema

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is a schema error at a position of the source.
type Error struct {
	File      string
	Line, Col int // 1-based; Col counts bytes
	Msg       string
}

// Error implements error: it says what failed.
func (e *Error) Error() string {
	f := e.File
	if f == "" {
		f = "schema"
	}
	return fmt.Sprintf("%s:%d:%d: %s", f, e.Line, e.Col, e.Msg)
}

// Pos is a position in the source.
type Pos struct{ Line, Col int }

// value is a parsed JSON-ish value with its position: the seed's notation
// is JSON with single-quoted strings and # comments.
type value struct {
	pos  Pos
	kind byte // 's' string, 'n' number, 'o' object, 'a' array, 'b' bool
	str  string
	num  int64
	keys []string // object keys in order
	kpos []Pos
	vals []*value // object values or array elements
}

func (v *value) what() string {
	switch v.kind {
	case 's':
		return "a string"
	case 'n':
		return "a number"
	case 'o':
		return "an object"
	case 'a':
		return "a list"
	case 'b':
		return "a boolean"
	}
	return "a value"
}

type lexer struct {
	file string
	src  string
	off  int
	line int
	col  int
}

func (l *lexer) errf(p Pos, format string, args ...any) *Error {
	return &Error{File: l.file, Line: p.Line, Col: p.Col, Msg: fmt.Sprintf(format, args...)}
}

func (l *lexer) pos() Pos { return Pos{l.line, l.col} }

func (l *lexer) advance() byte {
	c := l.src[l.off]
	l.off++
	if c == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
	return c
}

// skip skips blanks and comments; it reports whether input remains.
func (l *lexer) skip() bool {
	for l.off < len(l.src) {
		switch c := l.src[l.off]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			l.advance()
		case c == '#':
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance()
			}
		default:
			return true
		}
	}
	return false
}

func (l *lexer) value(depth int) (*value, error) {
	if depth > 32 {
		return nil, l.errf(l.pos(), "nesting deeper than 32")
	}
	if !l.skip() {
		return nil, l.errf(l.pos(), "unexpected end of schema, expecting a value")
	}
	p := l.pos()
	switch c := l.src[l.off]; {
	case c == '{':
		return l.object(p, depth)
	case c == '[':
		return l.array(p, depth)
	case c == '\'' || c == '"':
		s, err := l.str()
		if err != nil {
			return nil, err
		}
		return &value{pos: p, kind: 's', str: s}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		start := l.off
		l.advance()
		for l.off < len(l.src) && l.src[l.off] >= '0' && l.src[l.off] <= '9' {
			l.advance()
		}
		n, err := strconv.ParseInt(l.src[start:l.off], 10, 64)
		if err != nil {
			return nil, l.errf(p, "bad number %q", l.src[start:l.off])
		}
		return &value{pos: p, kind: 'n', num: n}, nil
	case strings.HasPrefix(l.src[l.off:], "true"), strings.HasPrefix(l.src[l.off:], "false"):
		b := strings.HasPrefix(l.src[l.off:], "true")
		n := 5
		if b {
			n = 4
		}
		for i := 0; i < n; i++ {
			l.advance()
		}
		v := &value{pos: p, kind: 'b'}
		if b {
			v.num = 1
		}
		return v, nil
	default:
		return nil, l.errf(p, "unexpected %s, expecting a value", l.unexpected())
	}
}

func (l *lexer) str() (string, error) {
	p := l.pos()
	q := l.advance()
	var b strings.Builder
	for {
		if l.off >= len(l.src) {
			return "", l.errf(p, "unterminated string")
		}
		at := l.pos()
		c := l.advance()
		switch {
		case c == q:
			return b.String(), nil
		case c == '\n':
			return "", l.errf(p, "newline in string")
		case c == '\\':
			if l.off >= len(l.src) {
				return "", l.errf(p, "unterminated string")
			}
			e := l.advance()
			switch e {
			case '\n':
				return "", l.errf(p, "newline in string")
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case '\\', '\'', '"', '/':
				b.WriteByte(e)
			default:
				return "", l.errf(at, "unknown escape %q", string([]byte{'\\', e}))
			}
		default:
			b.WriteByte(c)
		}
	}
}

func (l *lexer) expect(c byte, what string) error {
	if !l.skip() {
		return l.errf(l.pos(), "unexpected end of schema, expecting %s", what)
	}
	if l.src[l.off] != c {
		return l.errf(l.pos(), "unexpected %s, expecting %s", l.unexpected(), what)
	}
	l.advance()
	return nil
}

// unexpected describes the character at the current offset for an
// error: the whole character as written (not the first byte of its
// UTF-8 encoding), saying so when it is a typographic quote or not UTF-8.
func (l *lexer) unexpected() string {
	r, n := utf8.DecodeRuneInString(l.src[l.off:])
	switch {
	case r == utf8.RuneError && n <= 1:
		return fmt.Sprintf("byte 0x%02x (not UTF-8)", l.src[l.off])
	case strings.ContainsRune("‘’‚‛“”„‟′″", r):
		return fmt.Sprintf("%q (a typographic quote; quote with ' or \")", r)
	}
	return fmt.Sprintf("%q", r)
}

func (l *lexer) peek(c byte) bool { return l.skip() && l.src[l.off] == c }

func (l *lexer) object(p Pos, depth int) (*value, error) {
	l.advance()
	v := &value{pos: p, kind: 'o'}
	seen := map[string]int{} // key → its index: duplicates found in linear time
	if l.peek('}') {
		l.advance()
		return v, nil
	}
	for {
		if !l.skip() {
			return nil, l.errf(l.pos(), "unexpected end of schema inside an object")
		}
		kp := l.pos()
		if c := l.src[l.off]; c != '\'' && c != '"' {
			return nil, l.errf(kp, "unexpected %s, expecting a member name in quotes", l.unexpected())
		}
		k, err := l.str()
		if err != nil {
			return nil, err
		}
		if i, dup := seen[k]; dup {
			return nil, l.errf(kp, "duplicate key %q (first at %d:%d)", k, v.kpos[i].Line, v.kpos[i].Col)
		}
		seen[k] = len(v.keys)
		if err := l.expect(':', "':'"); err != nil {
			return nil, err
		}
		val, err := l.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v.keys, v.kpos, v.vals = append(v.keys, k), append(v.kpos, kp), append(v.vals, val)
		if l.peek(',') {
			l.advance()
			continue
		}
		if err := l.expect('}', "',' or '}'"); err != nil {
			return nil, err
		}
		return v, nil
	}
}

func (l *lexer) array(p Pos, depth int) (*value, error) {
	l.advance()
	v := &value{pos: p, kind: 'a'}
	if l.peek(']') {
		l.advance()
		return v, nil
	}
	for {
		el, err := l.value(depth + 1)
		if err != nil {
			return nil, err
		}
		v.vals = append(v.vals, el)
		if l.peek(',') {
			l.advance()
			continue
		}
		if err := l.expect(']', "',' or ']'"); err != nil {
			return nil, err
		}
		return v, nil
	}
}
