package qmp

import (
	"fmt"
	"strconv"
	"strings"
)

// parser is json-parser.c over one message's tokens; the first error
// wins.
type parser struct {
	tokens []token
	pos    int
	err    string
}

func (p *parser) fail(format string, args ...any) {
	if p.err != "" {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if len(msg) > 1023 { // QEMU formats it into a char[1024]
		msg = msg[:1023]
	}
	p.err = "JSON parse error, " + msg
}

func (p *parser) peek() *token {
	if p.pos >= len(p.tokens) {
		return nil
	}
	return &p.tokens[p.pos]
}

func (p *parser) pop() *token {
	t := p.peek()
	if t != nil {
		p.pos++
	}
	return t
}

func (p *parser) value() *qobj {
	t := p.peek()
	if t == nil {
		p.fail("premature EOI")
		return nil
	}
	switch t.typ {
	case tokLCurly:
		return p.object()
	case tokLSquare:
		return p.array()
	case tokInteger, tokFloat, tokString:
		return p.literal()
	case tokKeyword:
		p.pop()
		switch t.s {
		case "true":
			return &qobj{kind: qBool, b: true}
		case "false":
			return &qobj{kind: qBool}
		case "null":
			return &qobj{kind: qNull}
		}
		p.fail("invalid keyword '%s'", t.s)
		return nil
	}
	p.fail("expecting value")
	return nil
}

func (p *parser) pair(d *qdict) bool {
	if p.peek() == nil {
		p.fail("premature EOI")
		return false
	}
	key := p.value()
	if key == nil || key.kind != qString {
		p.fail("key is not a string in object")
		return false
	}
	t := p.pop()
	if t == nil {
		p.fail("premature EOI")
		return false
	}
	if t.typ != tokColon {
		p.fail("missing : in object pair")
		return false
	}
	v := p.value()
	if v == nil {
		p.fail("Missing value in dict")
		return false
	}
	if d.get(key.s) != nil {
		p.fail("duplicate key")
		return false
	}
	d.put(key.s, v)
	return true
}

func (p *parser) object() *qobj {
	p.pop() // {
	d := &qdict{}
	t := p.peek()
	if t == nil {
		p.fail("premature EOI")
		return nil
	}
	if t.typ == tokRCurly {
		p.pop()
		return &qobj{kind: qDict, dict: d}
	}
	if !p.pair(d) {
		return nil
	}
	for {
		t = p.pop()
		if t == nil {
			p.fail("premature EOI")
			return nil
		}
		if t.typ == tokRCurly {
			return &qobj{kind: qDict, dict: d}
		}
		if t.typ != tokComma {
			p.fail("expected separator in dict")
			return nil
		}
		if !p.pair(d) {
			return nil
		}
	}
}

func (p *parser) array() *qobj {
	p.pop() // [
	l := &qobj{kind: qList}
	t := p.peek()
	if t == nil {
		p.fail("premature EOI")
		return nil
	}
	if t.typ == tokRSquare {
		p.pop()
		return l
	}
	for {
		v := p.value()
		if v == nil {
			p.fail("expecting value")
			return nil
		}
		l.list = append(l.list, v)
		t = p.pop()
		if t == nil {
			p.fail("premature EOI")
			return nil
		}
		if t.typ == tokRSquare {
			return l
		}
		if t.typ != tokComma {
			p.fail("expected separator in list")
			return nil
		}
	}
}

func (p *parser) literal() *qobj {
	t := p.pop()
	switch t.typ {
	case tokString:
		s, ok := p.str(t.s)
		if !ok {
			return nil
		}
		return &qobj{kind: qString, s: s}
	default:
		return numberObj(t.s)
	}
}

// numberObj is a JSON number as QEMU's parser represents it: int64 if it
// is an integer that fits, else uint64 if it is a non-negative one that
// fits, else a double.
func numberObj(s string) *qobj {
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return &qobj{kind: qInt, i: i}
		}
		if !strings.HasPrefix(s, "-") {
			if u, err := strconv.ParseUint(s, 10, 64); err == nil {
				return &qobj{kind: qUint, u: u}
			}
		}
	}
	f, _ := strconv.ParseFloat(s, 64) // ±Inf beyond range, as strtod
	return &qobj{kind: qDouble, f: f}
}

func hexVal(s string, i int) int {
	if i+4 > len(s) {
		return -1
	}
	v := 0
	for _, c := range []byte(s[i : i+4]) {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return -1
		}
		v = v<<4 | int(d)
	}
	return v
}

// str decodes a string token (parse_string) into modified UTF-8.
func (p *parser) str(tok string) (string, bool) {
	quote := tok[0]
	var out []byte
	i := 1
	for i < len(tok) && tok[i] != quote {
		c := tok[i]
		if c != '\\' {
			cp, n := modUTF8Codepoint(tok[i:])
			if cp < 0 {
				p.fail("invalid UTF-8 sequence in string")
				return "", false
			}
			out = appendModUTF8(out, cp)
			i += n
			continue
		}
		beg := i
		i++
		e := tok[i]
		i++
		switch e {
		case '"', '\'', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			cp := hexVal(tok, i)
			i += 4
			if cp >= 0xD800 && cp <= 0xDBFF && i+1 < len(tok) && tok[i] == '\\' && tok[i+1] == 'u' {
				cp = 0x10000 + (cp&0x3FF)<<10
				if trail := hexVal(tok, i+2); trail >= 0xDC00 && trail <= 0xDFFF {
					cp |= trail & 0x3FF
					i += 6
				} else {
					cp = -1
				}
			}
			if !validCodepoint(cp) {
				end := i
				if end > len(tok) {
					end = len(tok) // QEMU prints up to the token's terminating NUL
				}
				p.fail("%s is not a valid Unicode character", tok[beg:end])
				return "", false
			}
			out = appendModUTF8(out, cp)
		default:
			p.fail("invalid escape sequence in string")
			return "", false
		}
	}
	return string(out), true
}

// validCodepoint is QEMU's is_valid_codepoint: a Unicode scalar value
// that is not a noncharacter.
func validCodepoint(cp int) bool {
	switch {
	case cp < 0 || cp > 0x10FFFF:
		return false
	case cp >= 0xFDD0 && cp <= 0xFDEF || cp&0xFFFE == 0xFFFE:
		return false
	case cp >= 0xD800 && cp <= 0xDFFF:
		return false
	}
	return true
}

// appendModUTF8 encodes a valid code point in modified UTF-8 (U+0000 as
// C0 80).
func appendModUTF8(b []byte, cp int) []byte {
	switch {
	case cp > 0 && cp <= 0x7F:
		return append(b, byte(cp))
	case cp <= 0x7FF:
		return append(b, 0xC0|byte(cp>>6), 0x80|byte(cp&0x3F))
	case cp <= 0xFFFF:
		return append(b, 0xE0|byte(cp>>12), 0x80|byte(cp>>6&0x3F), 0x80|byte(cp&0x3F))
	}
	return append(b, 0xF0|byte(cp>>18), 0x80|byte(cp>>12&0x3F), 0x80|byte(cp>>6&0x3F), 0x80|byte(cp&0x3F))
}

// modUTF8Codepoint decodes the code point at the start of s as QEMU's
// mod_utf8_codepoint does (looking at 6 bytes at most): -1 for an
// invalid sequence, with n the bytes it spans (an incomplete sequence
// ends before the byte that is not a continuation byte).
func modUTF8Codepoint(s string) (cp, n int) {
	if len(s) == 0 {
		return -1, 0
	}
	c := s[0]
	switch {
	case c < 0x80:
		return int(c), 1
	case c >= 0xFE, c&0x40 == 0:
		return -1, 1
	}
	size := 0
	mask := byte(0x80)
	for ; c&mask != 0; mask >>= 1 {
		size++
	}
	cp = int(c & (mask - 1))
	for i := 1; i < size; i++ {
		if i >= len(s) || s[i]&0xC0 != 0x80 {
			return -1, i
		}
		cp = cp<<6 | int(s[i]&0x3F)
	}
	minCP := [...]int{0x80, 0x800, 0x10000, 0x200000, 0x4000000}
	switch {
	case !validCodepoint(cp):
		return -1, size
	case cp < minCP[size-2] && !(cp == 0 && size == 2):
		return -1, size // overlong, but for C0 80
	}
	return cp, size
}
