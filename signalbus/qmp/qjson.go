package qmp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// QEMU's JSON dialect, as its QMP monitor reads and writes it (qobject/
// json-lexer.c, json-streamer.c, json-parser.c, json-writer.c and
// qdict.c of QEMU 7.2, behaviour checked against qemu-storage-daemon):
//
//   - a lexer whose errors name the bad token ("stray '...'") and which
//     then skips input up to a structural character ([ ] { } : ,), an
//     ASCII control character other than tab, or 0xFE/0xFF;
//   - a streamer that ends a message when its braces and its brackets,
//     counted separately, are both closed or either goes negative, and
//     limits tokens and nesting;
//   - a parser with QEMU's error texts, single-quoted strings, the \'
//     escape, modified UTF-8 (\u0000 is kept as C0 80), and numbers as
//     int64, else uint64, else double;
//   - a writer: ", " and ": " between tokens, \b \f \n \r \t \" \\ and
//     \uXXXX (upper-case hex) for other control characters, DEL and every
//     non-ASCII code point, \uFFFD for bytes that are not UTF-8, doubles
//     as C's %.17g (inf for an infinite one, as QEMU: not JSON), and an
//     object's members in the order QEMU's QDict iterates them (by the
//     hash bucket of the key).
//
// Not copied: the lexer's cut of a single token over 64 MiB (Limits.MaxLine
// gives a message up long before).

// qkind is the type of a qobj.
type qkind uint8

const (
	qNull qkind = iota
	qBool
	qInt
	qUint
	qDouble
	qString
	qList
	qDict
)

// qobj is a parsed JSON value (QEMU's QObject).
type qobj struct {
	kind qkind
	b    bool
	i    int64
	u    uint64
	f    float64
	s    string // modified UTF-8: U+0000 is C0 80
	list []*qobj
	dict *qdict
}

// qdict is QEMU's QDict: members in insertion order, iterated in QEMU's
// order.
type qdict struct {
	keys []string
	vals []*qobj
}

func (d *qdict) get(key string) *qobj {
	for i, k := range d.keys {
		if k == key {
			return d.vals[i]
		}
	}
	return nil
}

func (d *qdict) put(key string, v *qobj) {
	for i, k := range d.keys {
		if k == key {
			d.vals[i] = v
			return
		}
	}
	d.keys = append(d.keys, key)
	d.vals = append(d.vals, v)
}

// qdictBuckets is QDICT_BUCKET_MAX.
const qdictBuckets = 512

// qdictHash is QEMU's tdb_hash of a key, as qdict.c buckets it.
func qdictHash(key string) uint32 {
	v := uint32(0x238F13AF) * uint32(len(key))
	for i := 0; i < len(key); i++ {
		v += uint32(key[i]) << (uint(i) * 5 % 24)
	}
	return (1103515243*v + 12345) % qdictBuckets
}

// order returns the member indices in the order QEMU iterates a QDict:
// bucket by bucket, and in a bucket the member inserted last first.
func (d *qdict) order() []int {
	idx := make([]int, len(d.keys))
	hash := make([]uint32, len(d.keys))
	for i, k := range d.keys {
		idx[i], hash[i] = i, qdictHash(k)
	}
	// insertion sort: dicts are small
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0; j-- {
			a, b := idx[j-1], idx[j]
			if hash[a] < hash[b] || hash[a] == hash[b] && a > b {
				break
			}
			idx[j-1], idx[j] = b, a
		}
	}
	return idx
}

// Token types (JSONTokenType).
type tokType uint8

const (
	tokError tokType = iota
	tokLCurly
	tokRCurly
	tokLSquare
	tokRSquare
	tokColon
	tokComma
	tokInteger
	tokFloat
	tokKeyword
	tokString
)

type token struct {
	typ tokType
	s   string
}

// Lexer states (json_lexer_state; the start state without interpolation,
// as QMP runs it).
type lexState uint8

const (
	lexStart lexState = iota
	lexRecovery
	lexDQ
	lexDQEscape
	lexSQ
	lexSQEscape
	lexZero
	lexExpDigits
	lexExpSign
	lexExpE
	lexMantissa
	lexMantissaDigits
	lexDigits
	lexSign
	lexKeyword
)

// lexNext is one transition: the next state, or a token (tok != 0 or
// isErr), and whether the byte was looked at only (lookahead: it is fed
// again in the start state).
type lexNext struct {
	state     lexState
	tok       tokType
	emit      bool // a token ends here
	isErr     bool // a lexical error (JSON_ERROR)
	lookahead bool
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lexStep is QEMU's json_lexer table, one state and byte at a time.
func lexStep(st lexState, c byte) lexNext {
	errTok := lexNext{isErr: true}
	terminal := func(t tokType) lexNext { return lexNext{tok: t, emit: true, lookahead: true} }
	switch st {
	case lexRecovery:
		switch {
		case c < 0x20 && c != '\t', c >= 0xFE,
			c == '[', c == ']', c == '{', c == '}', c == ':', c == ',':
			return lexNext{state: lexStart, lookahead: true}
		}
		return lexNext{state: lexRecovery}
	case lexDQ, lexSQ:
		quote, esc := byte('"'), lexDQEscape
		if st == lexSQ {
			quote, esc = '\'', lexSQEscape
		}
		switch {
		case c < 0x20 || c >= 0xFE:
			return errTok
		case c == '\\':
			return lexNext{state: esc}
		case c == quote:
			return lexNext{tok: tokString, emit: true}
		}
		return lexNext{state: st}
	case lexDQEscape, lexSQEscape:
		if c < 0x20 || c >= 0xFE {
			return errTok
		}
		if st == lexDQEscape {
			return lexNext{state: lexDQ}
		}
		return lexNext{state: lexSQ}
	case lexZero:
		switch {
		case isDigit(c):
			return errTok
		case c == '.':
			return lexNext{state: lexMantissa}
		}
		return terminal(tokInteger)
	case lexExpDigits:
		if isDigit(c) {
			return lexNext{state: lexExpDigits}
		}
		return terminal(tokFloat)
	case lexExpSign:
		if isDigit(c) {
			return lexNext{state: lexExpDigits}
		}
		return errTok
	case lexExpE:
		switch {
		case c == '-' || c == '+':
			return lexNext{state: lexExpSign}
		case isDigit(c):
			return lexNext{state: lexExpDigits}
		}
		return errTok
	case lexMantissaDigits:
		switch {
		case isDigit(c):
			return lexNext{state: lexMantissaDigits}
		case c == 'e' || c == 'E':
			return lexNext{state: lexExpE}
		}
		return terminal(tokFloat)
	case lexMantissa:
		if isDigit(c) {
			return lexNext{state: lexMantissaDigits}
		}
		return errTok
	case lexDigits:
		switch {
		case isDigit(c):
			return lexNext{state: lexDigits}
		case c == 'e' || c == 'E':
			return lexNext{state: lexExpE}
		case c == '.':
			return lexNext{state: lexMantissa}
		}
		return terminal(tokInteger)
	case lexSign:
		switch {
		case c == '0':
			return lexNext{state: lexZero}
		case c >= '1' && c <= '9':
			return lexNext{state: lexDigits}
		}
		return errTok
	case lexKeyword:
		if c >= 'a' && c <= 'z' {
			return lexNext{state: lexKeyword}
		}
		return terminal(tokKeyword)
	}
	// lexStart
	switch {
	case c == '"':
		return lexNext{state: lexDQ}
	case c == '\'':
		return lexNext{state: lexSQ}
	case c == '0':
		return lexNext{state: lexZero}
	case c >= '1' && c <= '9':
		return lexNext{state: lexDigits}
	case c == '-':
		return lexNext{state: lexSign}
	case c == '{':
		return lexNext{tok: tokLCurly, emit: true}
	case c == '}':
		return lexNext{tok: tokRCurly, emit: true}
	case c == '[':
		return lexNext{tok: tokLSquare, emit: true}
	case c == ']':
		return lexNext{tok: tokRSquare, emit: true}
	case c == ',':
		return lexNext{tok: tokComma, emit: true}
	case c == ':':
		return lexNext{tok: tokColon, emit: true}
	case c >= 'a' && c <= 'z':
		return lexNext{state: lexKeyword}
	case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		return lexNext{state: lexStart}
	}
	return errTok
}

// The streamer's limits (json-streamer.c).
const (
	maxTokenSize  = 64 << 20
	maxTokenCount = 2 << 20
	maxNesting    = 1 << 10
)

// message is one thing the streamer emits: a value, or an error text
// (val nil), with the bytes of input it came from.
type message struct {
	val *qobj
	err string
	raw []byte
}

// scanner is QEMU's JSON message parser (lexer and streamer) fed one
// byte at a time. It also keeps the bytes of the message in progress
// (from its first token on, blanks between tokens included, bytes the
// lexer skips while recovering from an error not), so that a message can
// be handed on as its own input line: fed alone to a new scanner, then
// flushed, those bytes give the same message again.
type scanner struct {
	state          lexState
	tok            []byte
	brace, bracket int
	tokens         []token
	tokenSize      int
	raw            []byte
	// discard: the message in progress was given up (too long): bytes
	// are lexed and counted, nothing is kept, and its end emits nothing.
	discard bool
	out     []message
}

// feed processes one byte; complete messages are appended to s.out.
func (s *scanner) feed(c byte) { s.step(c, false) }

// flush ends the input as QEMU's json_message_parser_flush does: a token
// waiting for its lookahead ends, an unfinished one is a lexical error,
// and the tokens of an unfinished message are parsed (premature EOI).
func (s *scanner) flush() {
	s.step(0, true)
	if len(s.tokens) > 0 {
		s.emitParse()
	}
}

func (s *scanner) step(c byte, flush bool) {
	for consumed := false; flush && s.state != lexStart || !flush && !consumed; {
		n := lexStep(s.state, c)
		consumed = !flush && !n.lookahead
		if consumed && !s.discard {
			s.tok = append(s.tok, c)
			// The byte is part of the message unless it is skipped while
			// recovering, or a blank before the message's first token.
			blank := s.state == lexStart && n.state == lexStart && !n.emit && !n.isErr
			if s.state != lexRecovery && (!blank || len(s.raw) > 0) {
				s.raw = append(s.raw, c)
			}
		}
		switch {
		case n.emit:
			s.token(n.tok)
			s.tok, s.state = s.tok[:0], lexStart
		case n.isErr:
			s.token(tokError)
			s.tok, s.state = s.tok[:0], lexRecovery
		case n.state == lexStart || n.state == lexRecovery:
			s.tok, s.state = s.tok[:0], n.state
		default:
			s.state = n.state
		}
	}
}

// token is json_message_process_token.
func (s *scanner) token(t tokType) {
	switch t {
	case tokLCurly:
		s.brace++
	case tokRCurly:
		s.brace--
	case tokLSquare:
		s.bracket++
	case tokRSquare:
		s.bracket--
	case tokError:
		text := s.tok
		if i := bytes.IndexByte(text, 0); i >= 0 {
			text = text[:i] // QEMU formats the token as a C string
		}
		s.emitError("JSON parse error, stray '" + string(text) + "'")
		return
	}
	switch {
	case s.tokenSize+len(s.tok)+1 > maxTokenSize:
		s.emitError("JSON token size limit exceeded")
		return
	case len(s.tokens)+1 > maxTokenCount:
		s.emitError("JSON token count limit exceeded")
		return
	case s.bracket+s.brace > maxNesting:
		s.emitError("JSON nesting depth limit exceeded")
		return
	}
	if !s.discard {
		s.tokens = append(s.tokens, token{typ: t, s: string(s.tok)})
	}
	s.tokenSize += len(s.tok)
	if (s.brace > 0 || s.bracket > 0) && s.brace >= 0 && s.bracket >= 0 {
		return
	}
	s.emitParse()
}

func (s *scanner) emitParse() {
	if s.discard {
		s.emit(message{})
		return
	}
	p := parser{tokens: s.tokens}
	v := p.value()
	if p.err != "" {
		s.emit(message{err: p.err})
		return
	}
	s.emit(message{val: v})
}

func (s *scanner) emitError(text string) { s.emit(message{err: text}) }

// emit ends the message in progress (out_emit).
func (s *scanner) emit(m message) {
	s.brace, s.bracket = 0, 0
	s.tokens = s.tokens[:0]
	s.tokenSize = 0
	if s.discard {
		s.discard = false
	} else {
		m.raw = append([]byte(nil), s.raw...)
		s.out = append(s.out, m)
	}
	s.raw = s.raw[:0]
}

// giveUp abandons the message in progress: what is left of it is lexed
// and counted but kept nowhere, and its end emits nothing.
func (s *scanner) giveUp() {
	s.discard = true
	s.tokens = s.tokens[:0]
	s.raw = s.raw[:0]
	s.tok = s.tok[:0]
}

// parseMessage parses in as one message (QEMU's parser fed in, then
// flushed) and returns the first message it makes.
func parseMessage(in []byte) message {
	var s scanner
	for _, c := range in {
		s.feed(c)
		if len(s.out) > 0 {
			return s.out[0]
		}
	}
	s.flush()
	if len(s.out) > 0 {
		return s.out[0]
	}
	return message{err: "JSON parse error, premature EOI"} // blanks only
}

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

// appendQString appends s as a JSON string the way QEMU's writer does.
func appendQString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < 0x80 && c >= 0x20 && c != 0x7F {
			switch c {
			case '"':
				b = append(b, '\\', '"')
			case '\\':
				b = append(b, '\\', '\\')
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		cp, n := modUTF8Codepoint(s[i:])
		i += n
		switch cp {
		case '\b':
			b = append(b, '\\', 'b')
			continue
		case '\f':
			b = append(b, '\\', 'f')
			continue
		case '\n':
			b = append(b, '\\', 'n')
			continue
		case '\r':
			b = append(b, '\\', 'r')
			continue
		case '\t':
			b = append(b, '\\', 't')
			continue
		}
		if cp < 0 {
			cp = 0xFFFD
		}
		if cp > 0xFFFF {
			b = appendU(b, 0xD800+(cp-0x10000)>>10)
			b = appendU(b, 0xDC00+(cp-0x10000)&0x3FF)
		} else {
			b = appendU(b, cp)
		}
	}
	return append(b, '"')
}

func appendU(b []byte, cp int) []byte {
	const hex = "0123456789ABCDEF"
	return append(b, '\\', 'u', hex[cp>>12&0xF], hex[cp>>8&0xF], hex[cp>>4&0xF], hex[cp&0xF])
}

// formatDouble is C's printf("%.17g", f) (glibc), as QEMU writes doubles.
func formatDouble(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	}
	s := strconv.FormatFloat(f, 'e', 16, 64) // [-]d.dddddddddddddddde±dd
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	e := strings.IndexByte(s, 'e')
	digits := s[:1] + s[2:e]
	x, _ := strconv.Atoi(s[e+1:])
	if x < -4 || x >= 17 {
		out := digits[:1]
		if frac := strings.TrimRight(digits[1:], "0"); frac != "" {
			out += "." + frac
		}
		es := "+"
		if x < 0 {
			es, x = "-", -x
		}
		if x < 10 {
			es += "0"
		}
		return sign + out + "e" + es + strconv.Itoa(x)
	}
	var intp, frac string
	if x >= 0 {
		intp, frac = digits[:x+1], digits[x+1:]
	} else {
		intp, frac = "0", strings.Repeat("0", -x-1)+digits
	}
	if frac = strings.TrimRight(frac, "0"); frac != "" {
		return sign + intp + "." + frac
	}
	return sign + intp
}

// appendQObj writes v as QEMU does (objects in QDict order).
func appendQObj(b []byte, v *qobj) []byte {
	switch v.kind {
	case qNull:
		return append(b, "null"...)
	case qBool:
		return strconv.AppendBool(b, v.b)
	case qInt:
		return strconv.AppendInt(b, v.i, 10)
	case qUint:
		return strconv.AppendUint(b, v.u, 10)
	case qDouble:
		return append(b, formatDouble(v.f)...)
	case qString:
		return appendQString(b, v.s)
	case qList:
		b = append(b, '[')
		for i, e := range v.list {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendQObj(b, e)
		}
		return append(b, ']')
	}
	b = append(b, '{')
	for n, i := range v.dict.order() {
		if n > 0 {
			b = append(b, ", "...)
		}
		b = appendQString(b, v.dict.keys[i])
		b = append(b, ": "...)
		b = appendQObj(b, v.dict.vals[i])
	}
	return append(b, '}')
}

// goString turns a modified UTF-8 string into a Go string (C0 80 back
// to U+0000).
func goString(s string) string {
	if !strings.Contains(s, "\xC0\x80") {
		return s
	}
	return strings.ReplaceAll(s, "\xC0\x80", "\x00")
}

// appendStdJSON writes v as standard JSON for encoding/json: members in
// their input order, strings in UTF-8, and a double always with a
// fraction or exponent (so that it stays a double, as in QEMU).
func appendStdJSON(b []byte, v *qobj) []byte {
	switch v.kind {
	case qDouble:
		switch {
		case math.IsInf(v.f, 1):
			return append(b, "1e999"...)
		case math.IsInf(v.f, -1):
			return append(b, "-1e999"...)
		}
		s := strconv.FormatFloat(v.f, 'g', -1, 64)
		if !strings.ContainsAny(s, ".e") {
			s += ".0"
		}
		return append(b, s...)
	case qString:
		enc, _ := json.Marshal(goString(v.s))
		return append(b, enc...)
	case qList:
		b = append(b, '[')
		for i, e := range v.list {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendStdJSON(b, e)
		}
		return append(b, ']')
	case qDict:
		b = append(b, '{')
		for i, k := range v.dict.keys {
			if i > 0 {
				b = append(b, ',')
			}
			enc, _ := json.Marshal(goString(k))
			b = append(b, enc...)
			b = append(b, ':')
			b = appendStdJSON(b, v.dict.vals[i])
		}
		return append(b, '}')
	}
	return appendQObj(b, v)
}

// qemuJSON re-encodes JSON written by encoding/json (valid, compact
// but for blanks between values) the way QEMU writes it: members in
// their order, ", " and ": " between tokens, QEMU's string escapes, and
// numbers as QEMU renders a double when they are not integers that fit
// 64 bits (encoding/json writes a float64 with an integral value below
// 1e21 as an integer: it stays one).
func qemuJSON(in []byte) ([]byte, error) {
	out := make([]byte, 0, len(in)+len(in)/8)
	for i := 0; i < len(in); {
		c := in[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(in) && in[j] != '"' && in[j] != '\\' && in[j] >= 0x20 && in[j] < 0x7F {
				j++
			}
			if j < len(in) && in[j] == '"' { // printable ASCII only: as is
				out = append(out, in[i:j+1]...)
				i = j + 1
				continue
			}
			for j < len(in) && in[j] != '"' {
				if in[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(in) {
				return nil, errors.New("re-encoding JSON: unterminated string")
			}
			var str string
			if err := json.Unmarshal(in[i:j+1], &str); err != nil {
				return nil, errors.Wrap(err, "re-encoding JSON")
			}
			out = appendQString(out, str)
			i = j + 1
		case c == ':' || c == ',':
			out = append(out, c, ' ')
			i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '-' || isDigit(c):
			j := i + 1
			for j < len(in) && (isDigit(in[j]) || in[j] == '.' || in[j] == 'e' || in[j] == 'E' || in[j] == '+' || in[j] == '-') {
				j++
			}
			out = appendGoNumber(out, in[i:j])
			i = j
		default: // { } [ ] and the letters of true, false, null
			out = append(out, c)
			i++
		}
	}
	return out, nil
}

// appendGoNumber writes a number encoding/json wrote: an integer that
// fits 64 bits as is, anything else as QEMU writes a double.
func appendGoNumber(out, num []byte) []byte {
	if !bytes.ContainsAny(num, ".eE") && len(num) < 20 {
		return append(out, num...) // fits int64
	}
	s := string(num)
	if !strings.ContainsAny(s, ".eE") {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return append(out, num...)
		}
		if _, err := strconv.ParseUint(s, 10, 64); err == nil {
			return append(out, num...)
		}
	}
	f, _ := strconv.ParseFloat(s, 64)
	return append(out, formatDouble(f)...)
}
