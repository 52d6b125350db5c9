package chsk

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// fileOrder is the package's files from the bottom up: a file names only
// identifiers of its own or of files before it. doc.go states the rule.
var fileOrder = []string{
	"message.go", "router.go", "broker.go", "security.go", "options.go", // the API's plain types
	"stats.go", "life.go", "writers.go", "flush.go", "queue.go", "hub.go", "batch_packer.go", "checks.go", // what every client shares
	"request.go", "tab.go", "registry.go", "park.go", // clients and where they live
	"server.go", "websocket.go", "ajax.go", "push.go", "serve.go", // the Server and its entry points
	"doc.go",
}

// TestFilesReferOneWay checks fileOrder with go/types: every use of a
// package-level identifier (types, functions, methods, fields, variables)
// must be declared in the same file or a lower one.
func TestFilesReferOneWay(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		if !slices.Contains(fileOrder, name) {
			t.Errorf("%s is not in fileOrder: place it", name)
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	info := &types.Info{Uses: make(map[*ast.Ident]types.Object)}
	pkg, err := (&types.Config{Importer: importer.ForCompiler(fset, "source", nil)}).Check("github.com/gosente/gosente/chsk", fset, files, info)
	if err != nil {
		t.Fatalf("type-checking the package: %v", err)
	}
	rank := func(pos token.Pos) int { return slices.Index(fileOrder, filepath.Base(fset.Position(pos).Filename)) }
	var bad []string
	for id, obj := range info.Uses {
		if obj.Pkg() != pkg || !obj.Pos().IsValid() {
			continue
		}
		if v, ok := obj.(*types.Var); ok && !v.IsField() && v.Parent() != pkg.Scope() {
			continue // a local variable
		}
		if from, to := rank(id.Pos()), rank(obj.Pos()); to > from {
			bad = append(bad, fset.Position(id.Pos()).String()+": "+id.Name+" is declared in "+fileOrder[to]+", above "+fileOrder[from])
		}
	}
	sort.Strings(bad)
	for _, b := range bad {
		t.Error(b)
	}
}
