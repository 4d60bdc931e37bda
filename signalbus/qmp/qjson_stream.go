package qmp

import (
	"bytes"
)

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
