// Command dnsquery resolves names against a DNS server with sockactor
// sockets: over UDP through the sendto queue and recvfrom, retrying lost
// queries; over TCP through a 2-byte-length PDU reader, with every query
// pipelined through the writev queue and the answers matched by ID.
//
//	go run ./examples/dnsquery -server 127.0.0.1:53 [-tcp] NAME...
//
// It prints one line per A record, "NAME ADDRESS", and exits 1 when a
// name does not resolve.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/actorio/actorio/actors"
	"github.com/actorio/actorio/sockactor"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dnsquery", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "", "DNS server HOST:PORT")
	tcp := fs.Bool("tcp", false, "query over TCP (pipelined) instead of UDP")
	timeout := fs.Duration("timeout", 10*time.Second, "overall deadline")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *server == "" || fs.NArg() == 0 {
		fmt.Fprintln(stderr, "usage: dnsquery -server HOST:PORT [-tcp] NAME...")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	sys := actors.New()
	defer sys.Close(context.Background())
	r := &Resolver{Sys: sys, Transport: sockactor.RealTransport(), Server: *server, TCP: *tcp}
	answers, err := r.Resolve(ctx, fs.Args())
	if err != nil {
		fmt.Fprintln(stderr, "dnsquery:", err)
		return 1
	}
	status := 0
	for _, name := range fs.Args() {
		addrs := answers[name]
		if len(addrs) == 0 {
			fmt.Fprintf(stderr, "dnsquery: %s does not resolve\n", name)
			status = 1
			continue
		}
		sorted := append([]string(nil), addrs...)
		sort.Strings(sorted)
		for _, a := range sorted {
			fmt.Fprintf(stdout, "%s %s\n", name, a)
		}
	}
	return status
}
