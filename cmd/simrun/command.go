package main

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// modulePath is the module simrun is built from.
const modulePath = "github.com/actorio/actorio"

// goRun is how printed commands start simrun: go -C ROOT run ./cmd/simrun,
// with ROOT the checkout simrun was built from, so that a command works
// pasted in any directory and replays with the same build. Without a
// checkout to name (a -trimpath build run outside one) it is plain go run
// ./cmd/simrun, for the repository root.
func goRun() string {
	if root := moduleRoot(); root != "" {
		return "go -C " + shellQuote(root) + " run ./cmd/simrun"
	}
	return "go run ./cmd/simrun"
}

// moduleRoot returns the root of the checkout simrun was built from (its
// source's directory, when the build kept it), else the one the working
// directory is in, else "".
func moduleRoot() string {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		if root := filepath.Dir(filepath.Dir(filepath.Dir(file))); isModuleRoot(root) {
			return root
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if isModuleRoot(dir) {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}

// isModuleRoot reports whether dir holds the go.mod of modulePath.
func isModuleRoot(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) == 2 && fields[0] == "module" {
			return strings.Trim(fields[1], `"`) == modulePath
		}
	}
	return false
}

// absPath makes a path given on the command line absolute, so that a
// printed command names the same file wherever it is pasted.
func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
