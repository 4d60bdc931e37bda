package main

import (
	"bufio"
	"bytes"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
)

// The type checker for generated code: go/types with the export data of
// the imports (from one go list -export), so checking a generated package
// takes milliseconds instead of a go build's seconds.
var checker struct {
	once    sync.Once
	err     error
	mu      sync.Mutex
	fset    *token.FileSet
	imports types.Importer
}

// typecheck type-checks package p made of files (name → source) as the
// compiler would, and returns its errors, one a line ("" when it
// compiles).
func typecheck(t *testing.T, files map[string]string) string {
	t.Helper()
	checker.once.Do(func() {
		out, err := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}={{.Export}}",
			"github.com/actorio/actorio/signalbus", "github.com/actorio/actorio/signalbus/qmp",
			"github.com/actorio/actorio/signalbus/schema", "github.com/pkg/errors",
			"context", "encoding/json", "strconv", "time", "io", "fmt").Output()
		if err != nil {
			checker.err = err
			return
		}
		export := map[string]string{}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			if path, file, ok := strings.Cut(sc.Text(), "="); ok && file != "" {
				export[path] = file
			}
		}
		checker.fset = token.NewFileSet()
		checker.imports = importer.ForCompiler(checker.fset, "gc", func(path string) (io.ReadCloser, error) {
			return os.Open(export[path])
		})
	})
	if checker.err != nil {
		t.Fatalf("go list -export: %v", checker.err)
	}
	checker.mu.Lock()
	defer checker.mu.Unlock()
	var errs []string
	var parsed []*ast.File
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f, err := parser.ParseFile(checker.fset, name, files[name], parser.SkipObjectResolution)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		parsed = append(parsed, f)
	}
	if len(errs) > 0 {
		return strings.Join(errs, "\n")
	}
	conf := types.Config{Importer: checker.imports, Error: func(err error) { errs = append(errs, err.Error()) }}
	_, _ = conf.Check("p", checker.fset, parsed, nil)
	return strings.Join(errs, "\n")
}
