package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
)

// interrupts returns a context that an interrupt (SIGINT, Ctrl-C) ends,
// and a function that stops listening. After the first interrupt the
// signal's default action is back, so a second one ends simrun at once.
// A simrun started with interrupts ignored (in the background of a
// script, under nohup) keeps ignoring them.
func interrupts(stderr io.Writer) (context.Context, func()) {
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
			fmt.Fprintln(stderr, "\nsimrun: interrupted: letting the seeds running finish, then reporting (interrupt again to quit at once)")
			cancel()
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
