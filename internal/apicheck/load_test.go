package apicheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/scrmkit/scrm"

var update = flag.Bool("update", false, "rewrite api/exported.txt from the code")

// listed is what `go list` says of one package.
type listed struct {
	ImportPath string
	Name       string
	Dir        string
	Export     string
	GoFiles    []string
	Imports    []string
	Standard   bool
	DepOnly    bool
}

// pkg is one of the module's packages, parsed and type-checked.
type pkg struct {
	path  string // import path
	rel   string // path relative to the module ("" for the root)
	name  string
	fset  *token.FileSet
	files []*ast.File
	types *types.Package
	info  *types.Info
}

var (
	loadOnce sync.Once
	loaded   []*pkg
	listing  map[string]*listed
	loadErr  error
)

// load lists the module with `go list -export -deps` (dependencies come
// from their export data, built and cached by the go command) and parses
// and type-checks every package of the module from source.
func load(t *testing.T) []*pkg {
	t.Helper()
	loadOnce.Do(func() { loaded, listing, loadErr = loadModule() })
	require.NoError(t, loadErr)
	return loaded
}

func loadModule() ([]*pkg, map[string]*listed, error) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command("go", "list", "-export", "-deps", "-json=ImportPath,Name,Dir,Export,GoFiles,Imports,Standard,DepOnly", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, nil, errors.New("go list: " + err.Error() + ": " + stderr.String())
	}
	all := map[string]*listed{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var l listed
		if err := dec.Decode(&l); err == io.EOF {
			break
		} else if err != nil {
			return nil, nil, err
		}
		all[l.ImportPath] = &l
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		l, ok := all[path]
		if !ok || l.Export == "" {
			return nil, errors.New("no export data for " + path)
		}
		return os.Open(l.Export)
	})
	var pkgs []*pkg
	for _, l := range all {
		if l.DepOnly || !strings.HasPrefix(l.ImportPath, module) {
			continue
		}
		p := &pkg{path: l.ImportPath, rel: strings.TrimPrefix(strings.TrimPrefix(l.ImportPath, module), "/"), name: l.Name, fset: fset}
		for _, f := range l.GoFiles {
			af, err := parser.ParseFile(fset, filepath.Join(l.Dir, f), nil, parser.ParseComments)
			if err != nil {
				return nil, nil, err
			}
			p.files = append(p.files, af)
		}
		p.info = &types.Info{
			Types: map[ast.Expr]types.TypeAndValue{},
			Defs:  map[*ast.Ident]types.Object{},
			Uses:  map[*ast.Ident]types.Object{},
		}
		conf := types.Config{Importer: imp}
		p.types, err = conf.Check(l.ImportPath, fset, p.files, p.info)
		if err != nil {
			return nil, nil, errors.New("type-check " + l.ImportPath + ": " + err.Error())
		}
		pkgs = append(pkgs, p)
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].path < pkgs[j].path })
	return pkgs, all, nil
}

// public reports whether p is part of the public surface: not internal, not
// a command or an example program.
func (p *pkg) public() bool {
	return p.name != "main" && !strings.HasPrefix(p.rel, "internal") && !strings.Contains(p.rel, "/internal")
}

// qualifier prints other packages by name and p's own types bare.
func (p *pkg) qualifier(other *types.Package) string {
	if other == p.types {
		return ""
	}
	return other.Name()
}
