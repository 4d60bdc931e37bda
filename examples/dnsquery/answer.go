package main

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/dns/dnsmessage"
	"golang.org/x/net/idna"
)

// question returns the A question for name, or an ErrBadName error when
// name cannot be encoded: empty, an empty label ("a..b", ".a"), a label
// over 63 bytes or a name over 255 bytes in wire form (after a name with
// non-ASCII letters is put in its IDNA ASCII form), or not a valid
// internationalized name. The root "." is a name.
func question(name string) (dnsmessage.Question, error) {
	bad := func(format string, a ...any) (dnsmessage.Question, error) {
		return dnsmessage.Question{}, fmt.Errorf("%w: %s", ErrBadName, fmt.Sprintf(format, a...))
	}
	if name == "" {
		return bad("empty name")
	}
	fq, err := toASCII(name)
	if err != nil {
		return bad("%v", err)
	}
	if fq == "" { // "\u00ad": IDNA maps a soft hyphen to nothing
		return bad("empty name")
	}
	if fq[len(fq)-1] != '.' {
		fq += "."
	}
	if fq != "." {
		// Wire form: a length byte per label, the labels, the root's 0.
		if n := len(fq) + 1; n > 255 {
			return bad("%d bytes in wire form, more than 255", n)
		}
		for _, label := range strings.Split(fq[:len(fq)-1], ".") {
			if label == "" {
				return bad("empty label")
			}
			if len(label) > 63 {
				return bad("label of %d bytes, more than 63", len(label))
			}
		}
	}
	n, err := dnsmessage.NewName(fq)
	if err != nil {
		return bad("%v", err)
	}
	return dnsmessage.Question{Name: n, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}, nil
}

// idnaProfile maps a name for lookup as resolvers do (UTS #46, not
// transitional), without STD3's rules on ASCII: "_srv.münchen.example"
// has an underscore.
var idnaProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.StrictDomainName(false))

// toASCII is name as it goes on the wire: an ASCII name as it is, one
// with other letters in its IDNA ASCII form (xn-- labels).
func toASCII(name string) (string, error) {
	ascii := true
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	switch {
	case ascii:
		return name, nil
	case !utf8.ValidString(name):
		return "", errors.New("not valid UTF-8")
	}
	a, err := idnaProfile.ToASCII(name)
	if err != nil {
		return "", fmt.Errorf("not a valid internationalized name: %w", err)
	}
	return a, nil
}

// newIDs returns n distinct random query IDs (n ≤ 65536), from the
// system's cryptographic generator: an off-path spoofer must guess them.
func newIDs(n int) []uint16 {
	var seen [1 << 16 / 64]uint64
	ids := make([]uint16, 0, n)
	var buf [256]byte
	for len(ids) < n {
		rand.Read(buf[:]) // never fails
		for i := 0; i < len(buf) && len(ids) < n; i += 2 {
			id := binary.BigEndian.Uint16(buf[i:])
			if seen[id/64]&(1<<(id%64)) == 0 {
				seen[id/64] |= 1 << (id % 64)
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// readAnswer reads the rest of a message whose header p has parsed as
// the answer to q. Its error says why the message is not that answer:
// not a response, another opcode or question, or malformed. tc reports
// a truncated answer, which has no records: ask again over TCP.
func (r *Resolver) readAnswer(p *dnsmessage.Parser, h dnsmessage.Header, q dnsmessage.Question) (ans Answer, tc bool, err error) {
	if !h.Response {
		return ans, false, fmt.Errorf("message with ID %d is a query, not a response (QR=0)", h.ID)
	}
	if h.OpCode != 0 {
		return ans, false, fmt.Errorf("answer with ID %d has opcode %d, not QUERY", h.ID, h.OpCode)
	}
	qs, err := p.AllQuestions()
	if err != nil {
		return ans, false, fmt.Errorf("malformed answer with ID %d: %v", h.ID, err)
	}
	switch {
	case len(qs) == 0 && h.RCode != dnsmessage.RCodeSuccess && h.RCode != dnsmessage.RCodeNameError:
		// Servers may leave the question out of an error answer
		// (FORMERR, REFUSED…): it still reports that error.
	case len(qs) != 1:
		return ans, false, fmt.Errorf("answer with ID %d has %d questions, not 1", h.ID, len(qs))
	case !sameQuestion(qs[0], q):
		return ans, false, fmt.Errorf("answer with ID %d is for %s, not %s", h.ID, questionString(qs[0]), questionString(q))
	}
	if h.Truncated {
		return ans, true, nil
	}
	switch h.RCode {
	case dnsmessage.RCodeSuccess:
	case dnsmessage.RCodeNameError:
		return Answer{RCode: h.RCode}, false, nil
	default:
		return Answer{RCode: h.RCode, Err: &RcodeError{Server: r.Server, RCode: h.RCode}}, false, nil
	}
	addrs, err := addresses(p, q.Name)
	if err != nil {
		return ans, false, fmt.Errorf("malformed answer with ID %d: %v", h.ID, err)
	}
	return Answer{Addrs: addrs}, false, nil
}

// addresses reads the answer section: the A records (class IN) owned by
// name or by a name its CNAME records lead to, in any order. Records
// about other names are not the name's addresses.
func addresses(p *dnsmessage.Parser, name dnsmessage.Name) ([]string, error) {
	type aRecord struct {
		owner string
		addr  [4]byte
	}
	var as []aRecord
	cnames := map[string]string{}
	for {
		ah, err := p.AnswerHeader()
		if errors.Is(err, dnsmessage.ErrSectionDone) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch {
		case ah.Class != dnsmessage.ClassINET:
			err = p.SkipAnswer()
		case ah.Type == dnsmessage.TypeA:
			var a dnsmessage.AResource
			if a, err = p.AResource(); err == nil {
				as = append(as, aRecord{canonical(ah.Name), a.A})
			}
		case ah.Type == dnsmessage.TypeCNAME:
			var c dnsmessage.CNAMEResource
			if c, err = p.CNAMEResource(); err == nil {
				cnames[canonical(ah.Name)] = canonical(c.CNAME)
			}
		default:
			err = p.SkipAnswer()
		}
		if err != nil {
			return nil, err
		}
	}
	owners := map[string]bool{}
	for n, ok := canonical(name), true; ok && !owners[n]; n, ok = cnames[n] {
		owners[n] = true
	}
	var out []string
	for _, a := range as {
		if owners[a.owner] {
			out = append(out, netip.AddrFrom4(a.addr).String())
		}
	}
	return out, nil
}

// canonical is a name in lower case: DNS names compare ASCII
// case-insensitively.
func canonical(n dnsmessage.Name) string {
	b := []byte(n.String())
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func sameQuestion(a, b dnsmessage.Question) bool {
	return a.Type == b.Type && a.Class == b.Class && canonical(a.Name) == canonical(b.Name)
}

func questionString(q dnsmessage.Question) string {
	return fmt.Sprintf("%q %s %s", q.Name.String(), strings.TrimPrefix(q.Class.String(), "Class"), strings.TrimPrefix(q.Type.String(), "Type"))
}
