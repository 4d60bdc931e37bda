package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
)

// onInterrupt is called once an interrupt has been taken (the context
// interrupts returns is done): tests wait for it.
var onInterrupt = func() {}

// interrupts returns a context that an interrupt (SIGINT, Ctrl-C) ends,
// and a function that stops listening. After the first interrupt the
// signal's default action is back, so a second one ends simrun at once.
// A simrun started with interrupts ignored (in the background of a
// script, under nohup) keeps ignoring them.
//
// On the interrupt it prints "<who>: interrupted: letting the <running>
// running finish, then reporting" to stderr.
func interrupts(stderr io.Writer, who, running string) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	if signal.Ignored(os.Interrupt) {
		return ctx, cancel
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	quit, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-ch:
			signal.Stop(ch)
			fmt.Fprintf(stderr, "\n%s: interrupted: letting the %s running finish, then reporting (interrupt again to quit at once)\n", who, running)
			cancel()
			onInterrupt()
		case <-quit:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(quit)
		<-exited
		cancel()
	}
}
