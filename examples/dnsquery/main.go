// Command dnsquery resolves names against a DNS server with sockactor
// sockets: over UDP through the sendto queue and recvfrom, retrying lost
// queries; over TCP through a 2-byte-length PDU reader, with every query
// pipelined through the writev queue and the answers matched by ID.
//
//	go run ./examples/dnsquery [-tcp] [-timeout D] -server HOST[:PORT] NAME...
//
// The server's port is 53 unless given. A name with non-ASCII letters
// ("bücher.example") is asked for in its IDNA ASCII form
// ("xn--bcher-kva.example") and printed as given.
//
// Each query has its own random ID, and a message is taken as its answer
// only when it is a response (QR set) to the same question (name, type
// A, class IN); its addresses are the A records of the name and of its
// CNAME chain. Over UDP anything else is ignored (the query keeps
// waiting and is resent); over TCP it is a protocol error that ends the
// connection. A truncated UDP answer is asked again over TCP.
//
// It prints one line per A record on stdout, "NAME ADDRESS", and one line
// on stderr for every name without an address, in the order of the
// arguments:
//
//	dnsquery: NAME does not resolve (NXDOMAIN)
//	dnsquery: NAME does not resolve (no A record)
//	dnsquery: NAME: REASON
//
// The first two are the server's definite answers (the name does not
// exist; it exists without an IPv4 address). The third is a name that
// could not be looked up, for instance "server 127.0.0.1:53 answered
// SERVFAIL" (or REFUSED, or another response code), "no answer from
// 127.0.0.1:53 after 4 tries", a protocol error over TCP or a bad name.
// Every name is looked up whatever happens to the others.
//
// The exit status is 0 when every name resolved, 1 when some did not
// resolve but every name got a definite answer, 3 when some name could
// not be looked up (whatever the others did) or the addresses could not
// be written (stdout on a full disk), and 2 for a usage error: a
// malformed flag (a -server that is not HOST[:PORT], a bad port), no
// name (-h prints the usage and exits 0).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sockactor"
	"golang.org/x/net/dns/dnsmessage"
)

const usage = "usage: dnsquery [-tcp] [-timeout D] -server HOST[:PORT] NAME..."

// withPort is server with port 53 when it names none: an IPv4 address,
// an IPv6 one with or without brackets, or a host name.
func withPort(server string) string {
	if _, _, err := net.SplitHostPort(server); err == nil {
		return server
	}
	if strings.HasPrefix(server, "[") != strings.HasSuffix(server, "]") {
		return server // an unclosed bracket: let checkServer say so
	}
	host := strings.TrimSuffix(strings.TrimPrefix(server, "["), "]")
	if strings.Contains(host, ":") && !strings.HasPrefix(server, "[") && net.ParseIP(host) == nil {
		return server // not an address: let checkServer say what is wrong with it
	}
	return net.JoinHostPort(host, "53")
}

// checkServer says what is wrong with a HOST:PORT that is not one: a
// malformed address, a port out of range or a service name that the
// services database does not know. Whether the host exists is for the
// lookup to find out.
func checkServer(server string) error {
	_, port, err := net.SplitHostPort(server)
	if err != nil {
		return err
	}
	if _, err := net.LookupPort("udp", port); err != nil {
		return err
	}
	return nil
}

// Exit statuses.
const (
	exitUnresolved = 1 // some name does not resolve
	exitUsage      = 2
	exitFailed     = 3 // some name could not be looked up
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dnsquery", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "DNS server HOST[:PORT] (port 53 by default)")
	tcp := fs.Bool("tcp", false, "query over TCP (pipelined) instead of UDP")
	timeout := fs.Duration("timeout", 10*time.Second, "overall deadline")
	fs.Usage = func() {
		fmt.Fprintln(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	if *server == "" || fs.NArg() == 0 {
		fmt.Fprintln(stderr, usage)
		return exitUsage
	}
	if *timeout <= 0 {
		fmt.Fprintf(stderr, "dnsquery: -timeout %v: must be positive\n", *timeout)
		return exitUsage
	}
	given := *server
	*server = withPort(*server)
	if err := checkServer(*server); err != nil {
		fmt.Fprintf(stderr, "dnsquery: -server %s: %v\n", given, err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	sys := actors.New()
	defer sys.Close(context.Background())
	r := &Resolver{Sys: sys, Transport: sockactor.RealTransport(), Server: *server, TCP: *tcp}
	answers, err := resolveAll(ctx, r, fs.Args())
	if err != nil {
		fmt.Fprintln(stderr, "dnsquery:", err)
		return exitFailed
	}
	status := 0
	out := &errWriter{w: stdout}
	for _, name := range fs.Args() {
		a := answers[name]
		switch {
		case a.Err != nil:
			shown := name
			if shown == "" {
				shown = `""`
			}
			fmt.Fprintf(stderr, "dnsquery: %s: %v\n", shown, a.Err)
			status = exitFailed
		case len(a.Addrs) == 0:
			why := "no A record"
			if a.RCode == dnsmessage.RCodeNameError {
				why = "NXDOMAIN"
			}
			fmt.Fprintf(stderr, "dnsquery: %s does not resolve (%s)\n", name, why)
			if status == 0 {
				status = exitUnresolved
			}
		default:
			sorted := append([]string(nil), a.Addrs...)
			sort.Strings(sorted)
			for _, addr := range sorted {
				fmt.Fprintf(out, "%s %s\n", name, addr)
			}
		}
	}
	if out.err != nil {
		fmt.Fprintf(stderr, "dnsquery: writing the addresses: %v\n", out.err)
		return exitFailed
	}
	return status
}

// errWriter keeps the first error of the writes to w (stdout), so that
// addresses that could not be written (a full disk) fail the command
// instead of being lost in silence.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	e.err = err
	return n, err
}

// resolveAll resolves names with as many Resolve calls as it takes, each
// of at most maxNames distinct names (one query ID each).
func resolveAll(ctx context.Context, r *Resolver, names []string) (map[string]Answer, error) {
	seen := make(map[string]bool, len(names))
	var distinct []string
	for _, name := range names {
		if !seen[name] {
			seen[name] = true
			distinct = append(distinct, name)
		}
	}
	all := make(map[string]Answer, len(distinct))
	for start := 0; start < len(distinct); start += maxNames {
		answers, err := r.Resolve(ctx, distinct[start:min(start+maxNames, len(distinct))])
		if err != nil {
			return nil, err
		}
		maps.Copy(all, answers)
	}
	return all, nil
}
