package qmp

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
