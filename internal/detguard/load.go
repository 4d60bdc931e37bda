package detguard

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
	"golang.org/x/tools/go/packages"
)

// ActorPackages are the package patterns whose code runs inside actors or
// drives the simulator, relative to the module root.
var ActorPackages = []string{
	"./actors/...",
	"./sim/...",
	"./props/...",
	"./streamactor/...",
	"./sockactor/...",
	"./signalbus/...",
}

// CheckModule loads the packages matching patterns in the module at root
// (patterns that match nothing are skipped) and checks them. Test files
// are not checked: tests drive the simulation from outside.
func CheckModule(root string, patterns []string, allow Allowlist) ([]Finding, error) {
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax |
			packages.NeedTypes | packages.NeedTypesInfo,
		Dir: root,
	}
	var present []string
	for _, pat := range patterns {
		dir := filepath.Join(root, strings.TrimSuffix(pat, "/..."))
		if _, err := os.Stat(dir); err == nil {
			present = append(present, pat)
		}
	}
	if len(present) == 0 {
		return nil, nil
	}
	pkgs, err := packages.Load(cfg, present...)
	if err != nil {
		return nil, errors.Wrap(err, "detguard: load packages")
	}
	var out []Finding
	var loadErrs []string
	for _, p := range pkgs {
		for _, e := range p.Errors {
			if strings.Contains(e.Msg, "matched no packages") || strings.Contains(e.Msg, "no Go files") ||
				strings.Contains(e.Msg, "directory not found") {
				continue
			}
			loadErrs = append(loadErrs, e.Error())
		}
		if p.TypesInfo == nil {
			continue
		}
		files := make([]File, 0, len(p.Syntax))
		for _, f := range p.Syntax {
			name := p.Fset.Position(f.Pos()).Filename
			rel, err := filepath.Rel(root, name)
			if err != nil {
				rel = name
			}
			files = append(files, File{Path: filepath.ToSlash(rel), AST: f})
		}
		out = append(out, Check(p.Fset, p.TypesInfo, files, allow)...)
	}
	if len(loadErrs) > 0 {
		return out, errors.Errorf("detguard: packages did not load cleanly:\n%s", strings.Join(loadErrs, "\n"))
	}
	return out, nil
}
