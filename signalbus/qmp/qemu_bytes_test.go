package qmp_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actorio/actorio/signalbus/qmp"
)

// Byte-level compatibility with QEMU's QMP monitor, case by case: what a
// client sends on a fresh session, and every line qemu-storage-daemon
// 7.2 answers, byte for byte (CRLF dropped). The tables were recorded
// from the daemon; TestQEMUTablesLive checks them against it again, and
// the other tests check our server against them, daemon or not.
//
// Most inputs end with then99, a valid command: its reply (nope99) shows
// whether and when the parser recovered. An empty want means QEMU's
// parser is still inside an open value and swallows the command.

type qemuCase struct {
	in   string
	want []string
}

const (
	then99      = `{"execute": "nope", "id": 99}` + "\n"
	nope99      = `{"id": 99, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`
	negotiate99 = `{"id": 99, "error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"}}`
)

func genericErr(desc string) string {
	return `{"error": {"class": "GenericError", "desc": "` + desc + `"}}`
}

func parseErr(msg string) string { return genericErr("JSON parse error, " + msg) }

// qemuRecoveryCases: malformed input (lexical errors, stray closing
// brackets, bad numbers, keywords, escapes, UTF-8, duplicate keys,
// nesting), then a valid command; in command mode. The last rows are
// random mixes of JSON fragments and bad bytes.
var qemuRecoveryCases = []qemuCase{
	{"garbage\n" + then99, []string{parseErr(`invalid keyword 'garbage'`), nope99}},
	{"gArbage\n" + then99, []string{parseErr(`invalid keyword 'g'`), parseErr(`stray 'A'`), nope99}},
	{"Garbage\n" + then99, []string{parseErr(`stray 'G'`), nope99}},
	{"12abc\n" + then99, []string{genericErr(`QMP input must be a JSON object`), parseErr(`invalid keyword 'abc'`), nope99}},
	{"12}\n" + then99, []string{genericErr(`QMP input must be a JSON object`), parseErr(`expecting value`), nope99}},
	{"{]\n" + then99, []string{parseErr(`expecting value`), nope99}},
	{"{{]\n" + then99, []string{parseErr(`expecting value`), nope99}},
	{"{\"a\": {\"b\": ]\n" + then99, []string{parseErr(`expecting value`), nope99}},
	{"[}\n" + then99, []string{parseErr(`expecting value`), nope99}},
	{"[{]\n" + then99, []string{}},
	{"}\n" + then99, []string{parseErr(`expecting value`), nope99}},
	{"]\n" + then99, []string{parseErr(`expecting value`), nope99}},
	{"}}\n" + then99, []string{parseErr(`expecting value`), parseErr(`expecting value`), nope99}},
	{"{\"a\":1]}\n" + then99, []string{parseErr(`expected separator in dict`), parseErr(`expecting value`), nope99}},
	{"{\"execute\": \"nope\", \"id\": 1]\n" + then99, []string{parseErr(`expected separator in dict`), nope99}},
	{"{\"execute\" \"nope\"}\n" + then99, []string{parseErr(`missing : in object pair`), nope99}},
	{"{\"execute\": \"nope\",}\n" + then99, []string{parseErr(`expecting value`), nope99}},
	{"{,}\n" + then99, []string{parseErr(`expecting value`), nope99}},
	{"{\"a\"}\n" + then99, []string{parseErr(`missing : in object pair`), nope99}},
	{"{1: 2}\n" + then99, []string{parseErr(`key is not a string in object`), nope99}},
	{"[1 2]\n" + then99, []string{parseErr(`expected separator in list`), nope99}},
	{"[1,]\n" + then99, []string{parseErr(`expecting value`), nope99}},
	{"[,1]\n" + then99, []string{parseErr(`expecting value`), nope99}},
	{"-\n" + then99, []string{parseErr(`stray '-\n'`), nope99}},
	{"-x\n" + then99, []string{parseErr(`stray '-x'`), nope99}},
	{"01\n" + then99, []string{parseErr(`stray '01'`), nope99}},
	{"1.\n" + then99, []string{parseErr(`stray '1.\n'`), nope99}},
	{"1.e5\n" + then99, []string{parseErr(`stray '1.e'`), nope99}},
	{"+1\n" + then99, []string{parseErr(`stray '+'`), nope99}},
	{".5\n" + then99, []string{parseErr(`stray '.'`), nope99}},
	{"1e\n" + then99, []string{parseErr(`stray '1e\n'`), nope99}},
	{"1e+\n" + then99, []string{parseErr(`stray '1e+\n'`), nope99}},
	{"0x10\n" + then99, []string{genericErr(`QMP input must be a JSON object`), parseErr(`invalid keyword 'x'`), genericErr(`QMP input must be a JSON object`), nope99}},
	{"tru\n" + then99, []string{parseErr(`invalid keyword 'tru'`), nope99}},
	{"True\n" + then99, []string{parseErr(`stray 'T'`), nope99}},
	{"nul\n" + then99, []string{parseErr(`invalid keyword 'nul'`), nope99}},
	{"null\n" + then99, []string{genericErr(`QMP input must be a JSON object`), nope99}},
	{"true\n" + then99, []string{genericErr(`QMP input must be a JSON object`), nope99}},
	{"\"str\"\n" + then99, []string{genericErr(`QMP input must be a JSON object`), nope99}},
	{"'sq'\n" + then99, []string{genericErr(`QMP input must be a JSON object`), nope99}},
	{"42\n" + then99, []string{genericErr(`QMP input must be a JSON object`), nope99}},
	{"{\"a\": \"\\x\"}\n" + then99, []string{parseErr(`invalid escape sequence in string`), nope99}},
	{"{\"a\": \"\\u12\"}\n" + then99, []string{parseErr(`\\u12\" is not a valid Unicode character`), nope99}},
	{"{\"a\": \"\\u12G4\"}\n" + then99, []string{parseErr(`\\u12G4 is not a valid Unicode character`), nope99}},
	{"{\"a\": \"\\ud800\"}\n" + then99, []string{parseErr(`\\ud800 is not a valid Unicode character`), nope99}},
	{"{\"a\": \"\\udc00\"}\n" + then99, []string{parseErr(`\\udc00 is not a valid Unicode character`), nope99}},
	{"{\"a\": \"\\uffff\"}\n" + then99, []string{parseErr(`\\uffff is not a valid Unicode character`), nope99}},
	{"{\"a\": \"\\ufdd0\"}\n" + then99, []string{parseErr(`\\ufdd0 is not a valid Unicode character`), nope99}},
	{"{\"a\": \"\\u0000\"}\n" + then99, []string{genericErr(`QMP input member 'a' is unexpected`), nope99}},
	{"{\"a\": \"\xc3\"}\n" + then99, []string{parseErr(`invalid UTF-8 sequence in string`), nope99}},
	{"{\"a\": \"\xc0\x80\"}\n" + then99, []string{genericErr(`QMP input member 'a' is unexpected`), nope99}},
	{"{\"a\": \"\xed\xa0\x80\"}\n" + then99, []string{parseErr(`invalid UTF-8 sequence in string`), nope99}},
	{"{\"a\": \"\xef\xbf\xbf\"}\n" + then99, []string{parseErr(`invalid UTF-8 sequence in string`), nope99}},
	{"{\"a\": \"\x80\"}\n" + then99, []string{parseErr(`invalid UTF-8 sequence in string`), nope99}},
	{"{\"a\": \"\xf4\x90\x80\x80\"}\n" + then99, []string{parseErr(`invalid UTF-8 sequence in string`), nope99}},
	{"{\"a\": 'it\\'s'}\n" + then99, []string{genericErr(`QMP input member 'a' is unexpected`), nope99}},
	{"{\"a\": \"it\\'s\"}\n" + then99, []string{genericErr(`QMP input member 'a' is unexpected`), nope99}},
	{"{\"a\": \"%\"}\n" + then99, []string{genericErr(`QMP input member 'a' is unexpected`), nope99}},
	{"%d\n" + then99, []string{parseErr(`stray '%'`), nope99}},
	{"{\"a\": %d}\n" + then99, []string{parseErr(`stray '%'`), parseErr(`expecting value`), nope99}},
	{"@\n" + then99, []string{parseErr(`stray '@'`), nope99}},
	{"{\"a\": @}\n" + then99, []string{parseErr(`stray '@'`), parseErr(`expecting value`), nope99}},
	{"{\"a\"  :  1 , \"b\" : [ ] }\n" + then99, []string{genericErr(`QMP input member 'a' is unexpected`), nope99}},
	{"{\"execute\": \"nope\", \"execute\": \"x\"}\n" + then99, []string{parseErr(`duplicate key`), nope99}},
	{"{\"id\": 1, \"id\": 2, \"execute\": \"nope\"}\n" + then99, []string{parseErr(`duplicate key`), nope99}},
	{"{\"execute\": \"nope\", \"id\": 1}{\"execute\": \"nope\", \"id\": 2}\n" + then99, []string{`{"id": 1, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`, `{"id": 2, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`, nope99}},
	{"\x00\n" + then99, []string{parseErr(`stray ''`), nope99}},
	{"\x1f\n" + then99, []string{parseErr(`stray '\u001F'`), nope99}},
	{"{\"execute\": \x7f}\n" + then99, []string{parseErr(`stray '\u007F'`), parseErr(`expecting value`), nope99}},
	{"{\"execute\": \"a\x7fb\", \"id\": 3}\n" + then99, []string{`{"id": 3, "error": {"class": "CommandNotFound", "desc": "The command a\u007Fb has not been found"}}`, nope99}},
	{"\xfe\n" + then99, []string{parseErr(`stray '\uFFFD'`), nope99}},
	{"\xff{\"execute\": \"nope\", \"id\": 4}\n" + then99, []string{parseErr(`stray '\uFFFD'`), `{"id": 4, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`, nope99}},
	{"{\"a\": 1 x}\n" + then99, []string{parseErr(`expected separator in dict`), nope99}},
	{"{\"a\": 1 X}\n" + then99, []string{parseErr(`stray 'X'`), parseErr(`expecting value`), nope99}},
	{"{\"a\": truex}\n" + then99, []string{parseErr(`invalid keyword 'truex'`), nope99}},
	{"{\"a\": [1, 2}\n" + then99, []string{}},
	{"[[[\n" + then99, []string{}},
	{"{\"a\": [}]\n" + then99, []string{parseErr(`expecting value`), nope99}},
	{"[\"a\" : 1]\n" + then99, []string{parseErr(`expected separator in list`), nope99}},
	{"{\"execute\": \"nope\", \"arguments\": {}, \"id\": 1e3}\n" + then99, []string{`{"id": 1000, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`, nope99}},
	{"{\"execute\": \"nope\", \"id\": -0.0}\n" + then99, []string{`{"id": -0, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`, nope99}},
	{"{\"execute\": \"nope\", \"id\": 18446744073709551615}\n" + then99, []string{`{"id": 18446744073709551615, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`, nope99}},
	{"{\"execute\": \"nope\", \"id\": 18446744073709551616}\n" + then99, []string{`{"id": 1.8446744073709552e+19, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`, nope99}},
	{"{\"execute\": \"nope\", \"id\": -9223372036854775809}\n" + then99, []string{`{"id": -9.2233720368547758e+18, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`, nope99}},
	{"{\"execute\": \"nope\", \"id\": 1.7976931348623157e309}\n" + then99, []string{`{"id": inf, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`, nope99}},
	{"{\"execute\": \"nope\", \"id\": 123456789012345678}\n" + then99, []string{`{"id": 123456789012345678, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`, nope99}},
	{"{\"execute\": \"nope\", \"id\": 0.000001}\n" + then99, []string{`{"id": 9.9999999999999995e-07, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`, nope99}},
	{"{\"execute\": \"nope\", \"id\": 1e-7}\n" + then99, []string{`{"id": 9.9999999999999995e-08, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`, nope99}},
	{"{\"execute\": \"nope\", \"id\": 5e-324}\n" + then99, []string{`{"id": 4.9406564584124654e-324, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`, nope99}},
	{"{\"foo\": 1, \"execute\": 5}\n" + then99, []string{genericErr(`QMP input member 'execute' must be a string`), nope99}},
	{"{\"execute\": 5, \"foo\": 1}\n" + then99, []string{genericErr(`QMP input member 'execute' must be a string`), nope99}},
	{"{\"arguments\": 1, \"zz\": 2}\n" + then99, []string{genericErr(`QMP input member 'zz' is unexpected`), nope99}},
	{"{\"zz\": 2, \"arguments\": 1}\n" + then99, []string{genericErr(`QMP input member 'zz' is unexpected`), nope99}},
	{"{\"exec-oob\": \"nope\", \"id\": 7}\n" + then99, []string{`{"id": 7, "error": {"class": "GenericError", "desc": "QMP input member 'exec-oob' is unexpected"}}`, nope99}},
	{"{\"exec-oob\": 1, \"execute\": \"nope\"}\n" + then99, []string{genericErr(`QMP input member 'exec-oob' is unexpected`), nope99}},
	{"@," + then99, []string{parseErr(`stray '@'`), parseErr(`expecting value`), nope99}},
	{"@:" + then99, []string{parseErr(`stray '@'`), parseErr(`expecting value`), nope99}},
	{"@\t" + then99, []string{parseErr(`stray '@'`), nope99}},
	{"@ x " + then99, []string{parseErr(`stray '@'`), nope99}},
	{"[1, @ 2]" + then99, []string{parseErr(`stray '@'`), parseErr(`expecting value`), nope99}},
	{"{\"execute\": \"qmp_capabilities\", \"arguments\": {\"b\": 1, \"a\": 2, \"zz\": 3}, \"id\": 5}\n", []string{`{"id": 5, "error": {"class": "GenericError", "desc": "Parameter 'b' is unexpected"}}`}},
	{"{\"execute\": \"nope\", \"id\": {\"a\": [1, {\"c\": \"d\", \"b\": true, \"n\": null}], \"z\": false}}\n", []string{`{"id": {"a": [1, {"n": null, "b": true, "c": "d"}], "z": false}, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`}},
	{"{\"execute\": \"nope\", \"id\": \"\\u00e9\\u20ac\\ud83d\\ude00\xc3\xa9\"}\n", []string{`{"id": "\u00E9\u20AC\uD83D\uDE00\u00E9", "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`}},
	{"{\"execute\": \"nope\", \"id\": \"\\u0000x\"}\n", []string{`{"id": "\u0000x", "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`}},
	{"{\"execute\": \"nope\", \"id\": \"\xc0\x80\"}\n", []string{`{"id": "\u0000", "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`}},
	{"{\"execute\": \"nope\", \"id\": \"\\uD83D\\u0041\"}\n", []string{parseErr(`\\uD83D is not a valid Unicode character`)}},
	{"{\"execute\": \"nope\", \"id\": \"\\uD83D\"}\n", []string{parseErr(`\\uD83D is not a valid Unicode character`)}},
	{"{\"execute\": \"nope\", \"id\": []}\n", []string{`{"id": [], "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`}},
	{"{\"execute\": \"nope\", \"id\": {}}\n", []string{`{"id": {}, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`}},
	{"{\"execute\": \"nope\", \"id\": 1.0}\n", []string{`{"id": 1, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`}},
	{"{\"execute\": \"nope\", \"id\": 100000000000000000.0}\n", []string{`{"id": 1e+17, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`}},
	{"{\"execute\": \"nope\", \"id\": 0.1e1}\n", []string{`{"id": 1, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`}},
	{"{\"execute\": \"nope\", \"id\": 123456789.123}\n", []string{`{"id": 123456789.123, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`}},
	{"{\"execute\": \"nope\", \"id\": -9223372036854775808}\n", []string{`{"id": -9223372036854775808, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`}},
	{"{\"execute\": \"nope\", \"id\": 9223372036854775808}\n", []string{`{"id": 9223372036854775808, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`}},
	{"{\"execute\": \"nope\", \"id\": 1E+2}\n", []string{`{"id": 100, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`}},
	{"{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"oob\", 1]}, \"id\": 6}\n", []string{`{"id": 6, "error": {"class": "GenericError", "desc": "Invalid parameter type for 'enable[1]', expected: string"}}`}},
	{"{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": \"oob\"}, \"id\": 7}\n", []string{`{"id": 7, "error": {"class": "GenericError", "desc": "Invalid parameter type for 'enable', expected: array"}}`}},
	{"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]\n" + then99, []string{genericErr(`JSON nesting depth limit exceeded`)}},
	{"@\"execute\"null\n" + then99, []string{parseErr(`stray '@'`), nope99}},
	{"\xc3\"arguments\"\n" + then99, []string{parseErr(`stray '\uFFFD'`), nope99}},
	{"'\\''\"a\\u00e9\"01,\xc3}\"a\\u00e9\"'\n" + then99, []string{genericErr(`QMP input must be a JSON object`), genericErr(`QMP input must be a JSON object`), parseErr(`stray '01'`), parseErr(`expecting value`), parseErr(`stray '\uFFFD'`), parseErr(`expecting value`), genericErr(`QMP input must be a JSON object`), parseErr(`stray ''\n'`), nope99}},
	{"{1e\"arguments\"Xtrue\"exec-oob\", }}\n" + then99, []string{parseErr(`stray '1e\"'`), parseErr(`expecting value`), parseErr(`expecting value`), parseErr(`expecting value`), nope99}},
	{"'\\''\n" + then99, []string{genericErr(`QMP input must be a JSON object`), nope99}},
	{"{\"a\\u00e9\"\x0001'}etrue\"arguments\"\n" + then99, []string{parseErr(`stray ''`), parseErr(`expecting value`), parseErr(`invalid keyword 'etrue'`), genericErr(`QMP input must be a JSON object`), nope99}},
	{"%true\ttrue\x00true{}\x01\n" + then99, []string{parseErr(`stray '%'`), parseErr(`stray ''`), genericErr(`QMP input lacks member 'execute'`), parseErr(`stray '\u0001'`), nope99}},
	{"\"\n" + then99, []string{parseErr(`stray '\"\n'`), nope99}},
	{"'\\'',1.5e3\"\\\"\x01\"nope\"\n\"\\x\"\"\\ud800\"\n" + then99, []string{genericErr(`QMP input must be a JSON object`), parseErr(`expecting value`), genericErr(`QMP input must be a JSON object`), parseErr(`stray '\"\\\"\u0001'`), parseErr(`invalid escape sequence in string`), parseErr(`\\ud800 is not a valid Unicode character`), nope99}},
	{"\"\\ud800\"\x7f0\xff\x01\"exec-oob\"\xc3\n" + then99, []string{parseErr(`\\ud800 is not a valid Unicode character`), parseErr(`stray '\u007F'`), parseErr(`stray '\uFFFD'`), parseErr(`stray '\u0001'`), nope99}},
	{"\\\"exec-oob\"[\"\xc3\xa9\"tru\\\"\x7f1.5e3\n" + then99, []string{parseErr(`stray '\\'`), parseErr(`stray '\\'`), nope99}},
	{"%1e\x00\"id\":\"arguments\"\n" + then99, []string{parseErr(`stray '%'`), parseErr(`stray ''`), parseErr(`expecting value`), genericErr(`QMP input must be a JSON object`), nope99}},
	{"\"\\ud800\",-e\\\"id\"\xc3}\"\xc3\xa9\"[\xff\n" + then99, []string{parseErr(`\\ud800 is not a valid Unicode character`), parseErr(`expecting value`), parseErr(`stray '-e'`), parseErr(`expecting value`), genericErr(`QMP input must be a JSON object`), parseErr(`stray '\uFFFD'`), nope99}},
	{"{\"execute\": \"nope\", \"id\": 1}\"exec-oob\"\"exec-oob\"\\'\\''--\"\\ud800\"true{0.\n" + then99, []string{`{"id": 1, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`, genericErr(`QMP input must be a JSON object`), genericErr(`QMP input must be a JSON object`), parseErr(`stray '\\'`), parseErr(`stray '0.\n'`), nope99}},
	{"true\\\"\\ud800\"\t@\t{}X\x7f\n" + then99, []string{genericErr(`QMP input must be a JSON object`), parseErr(`stray '\\'`), genericErr(`QMP input lacks member 'execute'`), parseErr(`stray 'X'`), nope99}},
	{"\"qmp_capabilities\"{\"a\\u00e9\"\"\\ud800\"'x'e%01'\n" + then99, []string{genericErr(`QMP input must be a JSON object`), parseErr(`stray '%'`), nope99}},
	{"\"\xc3\xa9\"\n" + then99, []string{genericErr(`QMP input must be a JSON object`), nope99}},
	{"@%0\"\\ud800\"\"\xc3\n" + then99, []string{parseErr(`stray '@'`), nope99}},
	{"\"\t{..{\"execute\": \"nope\", \"id\": 1}\n" + then99, []string{parseErr(`stray '\"\t'`), parseErr(`stray '.'`), `{"id": 1, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`, nope99}},
	{"\n{}\"qmp_capabilities\"}true\"\\\"1.5e3%\"exec-oob\"1.5e3\n" + then99, []string{genericErr(`QMP input lacks member 'execute'`), genericErr(`QMP input must be a JSON object`), parseErr(`expecting value`), genericErr(`QMP input must be a JSON object`), genericErr(`QMP input must be a JSON object`), parseErr(`invalid keyword 'exec'`), parseErr(`stray '-o'`), nope99}},
	{"%null\n" + then99, []string{parseErr(`stray '%'`), nope99}},
	{"\x00\n" + then99, []string{parseErr(`stray ''`), nope99}},
	{":}\n" + then99, []string{parseErr(`expecting value`), parseErr(`expecting value`), nope99}},
	{"{XtruX\"nope\"{\"execute\": \"nope\", \"id\": 1}1.5e3\t\n" + then99, []string{parseErr(`stray 'X'`), `{"id": 1, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`, genericErr(`QMP input must be a JSON object`), nope99}},
	{"\"execute\"--nulle\n" + then99, []string{genericErr(`QMP input must be a JSON object`), parseErr(`stray '--'`), nope99}},
	{"\x7fX'\\''\n" + then99, []string{parseErr(`stray '\u007F'`), nope99}},
	{"\x01{}1e \xc3\"\xc3\xa9\"\"nope\"}\xff\"a\\u00e9\"\n\"\n" + then99, []string{parseErr(`stray '\u0001'`), genericErr(`QMP input lacks member 'execute'`), parseErr(`stray '1e '`), parseErr(`expecting value`), parseErr(`stray '\uFFFD'`), parseErr(`stray '\"\n'`), nope99}},
	{"null,null\"\\ud800\"\n" + then99, []string{genericErr(`QMP input must be a JSON object`), parseErr(`expecting value`), genericErr(`QMP input must be a JSON object`), parseErr(`\\ud800 is not a valid Unicode character`), nope99}},
	{"\"qmp_capabilities\"'}true\n" + then99, []string{genericErr(`QMP input must be a JSON object`), parseErr(`stray ''}true\n'`), nope99}},
	{"\\\n" + then99, []string{parseErr(`stray '\\'`), nope99}},
	{"[-\"arguments\"\n" + then99, []string{parseErr(`stray '-\"'`), nope99}},
	{"\"\\ud800\"\x00'.true\"\\\"1ee\"arguments\"truee'\\''\n" + then99, []string{parseErr(`\\ud800 is not a valid Unicode character`), parseErr(`stray ''`), nope99}},
	{"\\\n" + then99, []string{parseErr(`stray '\\'`), nope99}},
	{"@ \x7f\"\\\"']\xff'x'01]\xff\n" + then99, []string{parseErr(`stray '@'`), parseErr(`expecting value`), parseErr(`stray '\uFFFD'`), parseErr(`expecting value`), parseErr(`stray '\uFFFD'`), nope99}},
	{"\"execute\"\xff\n" + then99, []string{genericErr(`QMP input must be a JSON object`), parseErr(`stray '\uFFFD'`), nope99}},
	{"-\"@null'x'\n" + then99, []string{parseErr(`stray '-\"'`), nope99}},
	{"%\n" + then99, []string{parseErr(`stray '%'`), nope99}},
	{"\"exec-oob\"\n" + then99, []string{genericErr(`QMP input must be a JSON object`), nope99}},
	{"@{}-\"\\x\"\n" + then99, []string{parseErr(`stray '@'`), genericErr(`QMP input lacks member 'execute'`), parseErr(`stray '-\"'`), nope99}},
	{"\"\\ud800\"[\"a\\u00e9\"0\t,01@\x00'\n" + then99, []string{parseErr(`\\ud800 is not a valid Unicode character`), parseErr(`stray '01'`), parseErr(`stray ''`), nope99}},
}

// qemuEscapeCases: strings QEMU echoes (command names, ids, member
// names, argument values) with HTML characters, control characters, DEL,
// non-ASCII, surrogate pairs, modified UTF-8, and ids QEMU re-renders
// (numbers, members reordered as its QDict iterates them); in command
// mode.
var qemuEscapeCases = []qemuCase{
	{"{\"execute\": \"a<&>\\u001b\\u007f\\u00e9\\ud83d\\ude00/x\", \"id\": {\"b\": 1, \"a\": 2, \"z\": [1.5, 0.1, 1e20, 100000000000000000000, -0, 1E2]}}\n" + then99, []string{`{"id": {"a": 2, "b": 1, "z": [1.5, 0.10000000000000001, 1e+20, 1e+20, 0, 100]}, "error": {"class": "CommandNotFound", "desc": "The command a<&>\u001B\u007F\u00E9\uD83D\uDE00/x has not been found"}}`, nope99}},
	{"{\"execute\": \"x\\u0001\\u001f\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"id\": \"<&>\"}\n" + then99, []string{`{"id": "<&>", "error": {"class": "CommandNotFound", "desc": "The command x\u0001\u001F\"\\/\b\f\n\r\t has not been found"}}`, nope99}},
	{"{\"execute\": \"\\u2028\\u2029\\ufeff\\u00ff\\u0100\", \"id\": 1}\n" + then99, []string{`{"id": 1, "error": {"class": "CommandNotFound", "desc": "The command \u2028\u2029\uFEFF\u00FF\u0100 has not been found"}}`, nope99}},
	{"{\"execute\": \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\", \"id\": \"\xc3\xbc\"}\n" + then99, []string{`{"id": "\u00FC", "error": {"class": "CommandNotFound", "desc": "The command \u00E9\u20AC\uD83D\uDE00 has not been found"}}`, nope99}},
	{"{\"execute\": \"ab\x00cd\"}\n" + then99, []string{parseErr(`stray '\"ab'`), parseErr(`expecting value`), nope99}},
	{"{\"execute\": \"a\xc0\xafb\"}\n" + then99, []string{parseErr(`invalid UTF-8 sequence in string`), nope99}},
	{"{\"execute\": \"a\xc0\x80b\", \"id\": 2}\n" + then99, []string{`{"id": 2, "error": {"class": "CommandNotFound", "desc": "The command a\u0000b has not been found"}}`, nope99}},
	{"{\"execute\": \"nope\", \"arguments\": {\"a\": \"<&>\"}, \"id\": \"\\u00e9\"}\n" + then99, []string{`{"id": "\u00E9", "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}`, nope99}},
	{"{\"execute\": \"qmp_capabilities\", \"arguments\": {\"enable\": [\"<&>\\u0001\\u00e9\"]}, \"id\": 3}\n" + then99, []string{`{"id": 3, "error": {"class": "GenericError", "desc": "Parameter 'null' does not accept value '<&>\u0001\u00E9'"}}`, nope99}},
	{"{\"<&>\\u007f\": 1, \"execute\": \"x\", \"id\": 4}\n" + then99, []string{`{"id": 4, "error": {"class": "GenericError", "desc": "QMP input member '<&>\u007F' is unexpected"}}`, nope99}},
	{"{\"execute\": \"x\", \"id\": {\"<\": \">\", \"&\": \"\\u007f\", \"\\u00e9\": [true, false, null, {}, []]}}\n" + then99, []string{`{"id": {"&": "\u007F", "\u00E9": [true, false, null, {}, []], "<": ">"}, "error": {"class": "CommandNotFound", "desc": "The command x has not been found"}}`, nope99}},
	{"{'execute': 'it\\'s <&>', 'id': 'it\\'s'}\n" + then99, []string{`{"id": "it's", "error": {"class": "CommandNotFound", "desc": "The command it's <&> has not been found"}}`, nope99}},
	{"{\"execute\": \"a\\u0000b\", \"id\": \"\\u0000\"}\n" + then99, []string{`{"id": "\u0000", "error": {"class": "CommandNotFound", "desc": "The command a\u0000b has not been found"}}`, nope99}},
}

// qemuNegotiationCases: some of the above before qmp_capabilities.
var qemuNegotiationCases = []qemuCase{
	{"garbage\n" + then99, []string{parseErr(`invalid keyword 'garbage'`), negotiate99}},
	{"gArbage\n" + then99, []string{parseErr(`invalid keyword 'g'`), parseErr(`stray 'A'`), negotiate99}},
	{"Garbage\n" + then99, []string{parseErr(`stray 'G'`), negotiate99}},
	{"12abc\n" + then99, []string{genericErr(`QMP input must be a JSON object`), parseErr(`invalid keyword 'abc'`), negotiate99}},
	{"12}\n" + then99, []string{genericErr(`QMP input must be a JSON object`), parseErr(`expecting value`), negotiate99}},
	{"{]\n" + then99, []string{parseErr(`expecting value`), negotiate99}},
	{"{{]\n" + then99, []string{parseErr(`expecting value`), negotiate99}},
	{"{\"a\": {\"b\": ]\n" + then99, []string{parseErr(`expecting value`), negotiate99}},
	{"[}\n" + then99, []string{parseErr(`expecting value`), negotiate99}},
	{"[{]\n" + then99, []string{}},
	{"}\n" + then99, []string{parseErr(`expecting value`), negotiate99}},
	{"]\n" + then99, []string{parseErr(`expecting value`), negotiate99}},
	{"}}\n" + then99, []string{parseErr(`expecting value`), parseErr(`expecting value`), negotiate99}},
	{"{\"a\":1]}\n" + then99, []string{parseErr(`expected separator in dict`), parseErr(`expecting value`), negotiate99}},
	{"{\"execute\": \"nope\", \"id\": 1]\n" + then99, []string{parseErr(`expected separator in dict`), negotiate99}},
	{"{\"execute\" \"nope\"}\n" + then99, []string{parseErr(`missing : in object pair`), negotiate99}},
	{"{\"execute\": \"nope\",}\n" + then99, []string{parseErr(`expecting value`), negotiate99}},
	{"{,}\n" + then99, []string{parseErr(`expecting value`), negotiate99}},
	{"{\"a\"}\n" + then99, []string{parseErr(`missing : in object pair`), negotiate99}},
	{"{1: 2}\n" + then99, []string{parseErr(`key is not a string in object`), negotiate99}},
	{"[1 2]\n" + then99, []string{parseErr(`expected separator in list`), negotiate99}},
	{"[1,]\n" + then99, []string{parseErr(`expecting value`), negotiate99}},
	{"[,1]\n" + then99, []string{parseErr(`expecting value`), negotiate99}},
	{"-\n" + then99, []string{parseErr(`stray '-\n'`), negotiate99}},
	{"-x\n" + then99, []string{parseErr(`stray '-x'`), negotiate99}},
	{"01\n" + then99, []string{parseErr(`stray '01'`), negotiate99}},
	{"1.\n" + then99, []string{parseErr(`stray '1.\n'`), negotiate99}},
	{"1.e5\n" + then99, []string{parseErr(`stray '1.e'`), negotiate99}},
	{"+1\n" + then99, []string{parseErr(`stray '+'`), negotiate99}},
	{".5\n" + then99, []string{parseErr(`stray '.'`), negotiate99}},
	{"{\"execute\": \"a<&>\\u001b\\u007f\\u00e9\\ud83d\\ude00/x\", \"id\": {\"b\": 1, \"a\": 2, \"z\": [1.5, 0.1, 1e20, 100000000000000000000, -0, 1E2]}}\n" + then99, []string{`{"id": {"a": 2, "b": 1, "z": [1.5, 0.10000000000000001, 1e+20, 1e+20, 0, 100]}, "error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"}}`, negotiate99}},
	{"{\"execute\": \"x\\u0001\\u001f\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"id\": \"<&>\"}\n" + then99, []string{`{"id": "<&>", "error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"}}`, negotiate99}},
	{"{\"execute\": \"\\u2028\\u2029\\ufeff\\u00ff\\u0100\", \"id\": 1}\n" + then99, []string{`{"id": 1, "error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"}}`, negotiate99}},
	{"{\"execute\": \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\", \"id\": \"\xc3\xbc\"}\n" + then99, []string{`{"id": "\u00FC", "error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"}}`, negotiate99}},
}

// playCases sends each case on a session of its own at sock and checks
// the lines that come back against want; more lines within extra fail
// too (extra 0: not checked). Sessions run one after the other, or all
// at once when parallel.
func playCases(t *testing.T, name, sock string, cases []qemuCase, negotiated, parallel bool, extra time.Duration) {
	t.Helper()
	var wg sync.WaitGroup
	for i, c := range cases {
		play := func() {
			defer wg.Done()
			if err := playCase(sock, c, negotiated, extra); err != nil {
				t.Errorf("%s case %d, input %q: %v", name, i, c.in, err)
			}
		}
		wg.Add(1)
		if parallel {
			go play()
		} else {
			play()
		}
	}
	wg.Wait()
}

func playCase(sock string, c qemuCase, negotiated bool, extra time.Duration) error {
	conn, err := net.Dial("unix", sock)
	if err != nil {
		return err
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	deadline := time.Now().Add(5 * time.Second)
	readLine := func() (string, error) {
		_ = conn.SetReadDeadline(deadline)
		l, err := r.ReadString('\n')
		return strings.TrimSuffix(l, "\r\n"), err
	}
	if _, err := readLine(); err != nil { // the greeting
		return err
	}
	if negotiated {
		if _, err := conn.Write([]byte(`{"execute": "qmp_capabilities"}`)); err != nil {
			return err
		}
		if l, err := readLine(); err != nil || l != `{"return": {}}` {
			return fmt.Errorf("negotiation: %q, %v", l, err)
		}
	}
	if _, err := conn.Write([]byte(c.in)); err != nil {
		return err
	}
	var got []string
	for len(got) < len(c.want) {
		l, err := readLine()
		if err != nil {
			break
		}
		got = append(got, l)
	}
	wait := extra
	if len(c.want) == 0 && wait < 200*time.Millisecond {
		wait = 200 * time.Millisecond
	}
	if wait > 0 && len(got) == len(c.want) {
		deadline = time.Now().Add(wait)
		for {
			l, err := readLine()
			if err != nil {
				break
			}
			got = append(got, l)
		}
	}
	if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
		return fmt.Errorf("\n got %q\nwant %q", got, c.want)
	}
	return nil
}

// TestParserRecoveryMatchesQEMU: after malformed input our server answers
// what QEMU answers — the same errors, as many, in the same order — and
// recovers where QEMU does, so the command that follows is answered (or
// swallowed) as by QEMU.
// Spec: qmp/doc.go "Input is split into JSON values as QEMU's streamer
// does"; research §1.1 "Parser recovery"; qmp-spec "Forcing the JSON
// parser into known-good state".
func TestParserRecoveryMatchesQEMU(t *testing.T) {
	_, sock := serveUnix(t, qmp.WithLimits(qmp.Limits{MaxConns: 1 << 10}))
	playCases(t, "recovery", sock, qemuRecoveryCases, true, true, 50*time.Millisecond)
	playCases(t, "negotiation", sock, qemuNegotiationCases, false, true, 50*time.Millisecond)
}

// TestOutputBytesMatchQEMU: what the server echoes (command names, ids,
// member names, argument values) is written byte for byte as QEMU writes
// it: \u escapes with upper-case hex, <, > and & as themselves, DEL and
// non-ASCII escaped, invalid input rejected with QEMU's texts, numbers
// and objects of an id as QEMU renders them.
// Spec: qmp/doc.go "The default path is byte-compatible with QEMU".
func TestOutputBytesMatchQEMU(t *testing.T) {
	_, sock := serveUnix(t, qmp.WithLimits(qmp.Limits{MaxConns: 1 << 10}))
	playCases(t, "escapes", sock, qemuEscapeCases, true, true, 50*time.Millisecond)
}

// TestQEMUTablesLive checks the recorded tables against a real
// qemu-storage-daemon (one monitor session at a time).
func TestQEMUTablesLive(t *testing.T) {
	sock := startQSD(t)
	dialPeer(t, "qemu-storage-daemon", sock).c.Close() // it is up
	playCases(t, "recovery", sock, qemuRecoveryCases, true, false, 0)
	playCases(t, "escapes", sock, qemuEscapeCases, true, false, 0)
	playCases(t, "negotiation", sock, qemuNegotiationCases, false, false, 0)
}
