package apicheck

import (
	"fmt"
	"go/types"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const snapshotFile = "api/exported.txt"

// TestAPISnapshot compares the exported API of every public package with
// api/exported.txt. A difference fails the test: a change to the public
// surface is deliberate, so regenerate the file with
//
//	go test ./internal/apicheck -run TestAPISnapshot -update
//
// and let the diff show in review.
func TestAPISnapshot(t *testing.T) {
	var b strings.Builder
	b.WriteString("# The exported API of github.com/scrmkit/scrm, one line per identifier.\n")
	b.WriteString("# Written by: go test ./internal/apicheck -run TestAPISnapshot -update\n")
	for _, p := range load(t) {
		if !p.public() {
			continue
		}
		lines := surface(p)
		fmt.Fprintf(&b, "\npkg %s\n", p.path)
		for _, l := range lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	got := b.String()
	path := filepath.Join("..", "..", snapshotFile)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "write it with go test ./internal/apicheck -run TestAPISnapshot -update")
	if string(want) == got {
		return
	}
	added, removed := lineDiff(string(want), got)
	assert.Failf(t, "the exported API differs from "+snapshotFile,
		"%d lines added, %d removed. If the change is deliberate, run\n"+
			"\tgo test ./internal/apicheck -run TestAPISnapshot -update\nand commit the file.\nadded:\n\t%s\nremoved:\n\t%s",
		len(added), len(removed), strings.Join(head(added, 40), "\n\t"), strings.Join(head(removed, 40), "\n\t"))
}

func head(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("... and %d more", len(s)-n))
	}
	return s
}

// lineDiff returns the lines only in b (added) and only in a (removed).
func lineDiff(a, b string) (added, removed []string) {
	count := map[string]int{}
	for _, l := range strings.Split(a, "\n") {
		count[l]++
	}
	for _, l := range strings.Split(b, "\n") {
		if count[l] > 0 {
			count[l]--
			continue
		}
		added = append(added, l)
	}
	for l, n := range count {
		for range n {
			removed = append(removed, l)
		}
	}
	sort.Strings(removed)
	return added, removed
}

// surface lists p's exported identifiers, sorted: constants with their
// values, variables, functions, types with their fields and methods.
func surface(p *pkg) []string {
	q := p.qualifier
	scope := p.types.Scope()
	var out []string
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !obj.Exported() {
			continue
		}
		switch o := obj.(type) {
		case *types.Const:
			out = append(out, fmt.Sprintf("const %s %s = %s", o.Name(), types.TypeString(o.Type(), q), o.Val().ExactString()))
		case *types.Var:
			out = append(out, fmt.Sprintf("var %s %s", o.Name(), types.TypeString(o.Type(), q)))
		case *types.Func:
			out = append(out, "func "+o.Name()+strings.TrimPrefix(types.TypeString(o.Type(), q), "func"))
		case *types.TypeName:
			out = append(out, typeLines(o, q)...)
		}
	}
	return out
}

func typeLines(o *types.TypeName, q types.Qualifier) []string {
	name := o.Name()
	if o.IsAlias() {
		return []string{fmt.Sprintf("type %s = %s", name, types.TypeString(o.Type(), q))}
	}
	named, ok := o.Type().(*types.Named)
	if !ok {
		return []string{fmt.Sprintf("type %s %s", name, types.TypeString(o.Type(), q))}
	}
	tparams := ""
	if tp := named.TypeParams(); tp != nil && tp.Len() > 0 {
		var ps []string
		for i := range tp.Len() {
			p := tp.At(i)
			ps = append(ps, p.Obj().Name()+" "+types.TypeString(p.Constraint(), q))
		}
		tparams = "[" + strings.Join(ps, ", ") + "]"
	}
	var out []string
	switch u := named.Underlying().(type) {
	case *types.Struct:
		out = append(out, fmt.Sprintf("type %s%s struct", name, tparams))
		for i := range u.NumFields() {
			f := u.Field(i)
			if !f.Exported() {
				continue
			}
			if f.Embedded() {
				out = append(out, fmt.Sprintf("type %s struct, embedded %s", name, types.TypeString(f.Type(), q)))
				continue
			}
			out = append(out, fmt.Sprintf("type %s struct, %s %s", name, f.Name(), types.TypeString(f.Type(), q)))
		}
	case *types.Interface:
		out = append(out, fmt.Sprintf("type %s%s interface", name, tparams))
		for i := range u.NumEmbeddeds() {
			out = append(out, fmt.Sprintf("type %s interface, embedded %s", name, types.TypeString(u.EmbeddedType(i), q)))
		}
		for i := range u.NumExplicitMethods() {
			m := u.ExplicitMethod(i)
			if !m.Exported() {
				out = append(out, fmt.Sprintf("type %s interface, unexported methods", name))
				continue
			}
			out = append(out, fmt.Sprintf("method (%s) %s%s", name, m.Name(), strings.TrimPrefix(types.TypeString(m.Type(), q), "func")))
		}
	default:
		out = append(out, fmt.Sprintf("type %s%s %s", name, tparams, types.TypeString(u, q)))
	}
	for i := range named.NumMethods() {
		m := named.Method(i)
		if !m.Exported() {
			continue
		}
		sig := m.Type().(*types.Signature)
		recv := name
		if _, ptr := sig.Recv().Type().(*types.Pointer); ptr {
			recv = "*" + name
		}
		out = append(out, fmt.Sprintf("method (%s) %s%s", recv, m.Name(), strings.TrimPrefix(types.TypeString(sig, q), "func")))
	}
	return out
}
