package apicheck

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/types"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// sharedNames are exported type names that several public packages declare
// on purpose, each meaning the same kind of thing in every package.
var sharedNames = map[string]string{
	"Service":              "each API area's entry type (CONTRIBUTING rule 1)",
	"Option":               "each package's options for its main type",
	"Channel":              "a marketing channel's definition in each channel helper",
	"Channels":             "the channel helper of each area, one API (internal/channelstate)",
	"ChannelTemplate":      "what every channel's WeCom object of an area is created with",
	"ChannelCode":          "a channel with its code (contact way or join way)",
	"Store":                "a package's store interface or implementation of wecom.Store",
	"Queue":                "callback.Queue and the Redis queue implementing it",
	"Limiter":              "wecom.Limiter and the Redis limiter implementing it",
	"Observer":             "what watches a package's work: wecom's and callback's interfaces, and scrmotel's implementation of both",
	"NopObserver":          "the Observer of wecom and of callback that does nothing, to embed",
	"Checkpoint":           "where a long read stands, to go on from: contact.Sync's, and mirror's reconcile that runs it",
	"Notifier":             "what sends one member an application message: appmsg's, and the interface churn takes it by",
	"Customer":             "a customer (external contact) as an area's endpoint answers it",
	"Attachment":           "a message attachment as the area's endpoint takes it",
	"MsgType":              "the message types of the area's messages",
	"Text":                 "a text message body",
	"Image":                "an image message body",
	"Video":                "a video message body",
	"Voice":                "a voice message body",
	"Message":              "one message of the area's messaging API: what appmsg sends to members, what kf syncs from a conversation",
	"File":                 "a file message body",
	"MiniProgram":          "a mini-program message body",
	"Location":             "a location message body",
	"GetRequest":           "the request of the area's Get (rule 7 names a request after its method)",
	"GetStatisticRequest":  "the request of the area's GetStatistic, its statistic endpoint (rule 7)",
	"AddContactWayRequest": "the request of an area's add_contact_way (contact's 联系我, kf's account link): rule 2 fixes the method name, rule 7 the request's",
}

func violations(t *testing.T, name string, found []string) {
	t.Helper()
	sort.Strings(found)
	assert.Empty(t, found, "%s: %d violation(s):\n\t%s", name, len(found), strings.Join(found, "\n\t"))
}

// apiPackages are the public packages the naming rules apply to: all but
// the fake (which speaks WeCom's wire shapes on purpose) and programs.
func apiPackages(t *testing.T) []*pkg {
	var out []*pkg
	for _, p := range load(t) {
		if p.public() && !strings.HasSuffix(p.rel, "wecomtest") {
			out = append(out, p)
		}
	}
	return out
}

// methods yields every exported method of every exported named type of p,
// and every exported function (recv nil).
func each(p *pkg, fn func(recv *types.TypeName, f *types.Func, sig *types.Signature)) {
	scope := p.types.Scope()
	for _, name := range scope.Names() {
		obj := scope.Lookup(name)
		if !obj.Exported() {
			continue
		}
		switch o := obj.(type) {
		case *types.Func:
			fn(nil, o, o.Type().(*types.Signature))
		case *types.TypeName:
			named, ok := o.Type().(*types.Named)
			if !ok {
				continue
			}
			for i := range named.NumMethods() {
				m := named.Method(i)
				if m.Exported() {
					fn(o, m, m.Type().(*types.Signature))
				}
			}
		}
	}
}

func where(recv *types.TypeName, f *types.Func) string {
	if recv == nil {
		return f.Pkg().Name() + "." + f.Name()
	}
	return f.Pkg().Name() + "." + recv.Name() + "." + f.Name()
}

func isContext(t types.Type) bool {
	n, ok := t.(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}

func namedOf(t types.Type) *types.Named {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, _ := t.(*types.Named)
	return n
}

// TestRules checks the naming rules of CONTRIBUTING.md that a machine can.
func TestRules(t *testing.T) {
	pkgs := apiPackages(t)

	t.Run("ctx-first", func(t *testing.T) {
		var bad []string
		for _, p := range pkgs {
			each(p, func(recv *types.TypeName, f *types.Func, sig *types.Signature) {
				for i := range sig.Params().Len() {
					if isContext(sig.Params().At(i).Type()) && i != 0 {
						bad = append(bad, where(recv, f)+": context.Context is not the first parameter")
					}
				}
			})
		}
		violations(t, "ctx first", bad)
	})

	t.Run("request-response", func(t *testing.T) {
		var bad []string
		for _, p := range pkgs {
			users := map[string][]string{} // request type → methods taking it
			returned := map[string][]string{}
			each(p, func(recv *types.TypeName, f *types.Func, sig *types.Signature) {
				for i := range sig.Params().Len() {
					pt := sig.Params().At(i).Type()
					if sl, ok := pt.(*types.Slice); ok {
						pt = sl.Elem()
						if _, ptr := pt.(*types.Pointer); !ptr {
							pt = types.NewPointer(pt) // a slice of request values is allowed
						}
					}
					n := namedOf(pt)
					if n == nil || n.Obj().Pkg() != p.types || !strings.HasSuffix(n.Obj().Name(), "Request") {
						continue
					}
					if _, ptr := pt.(*types.Pointer); !ptr {
						bad = append(bad, fmt.Sprintf("%s: takes %s by value; requests are passed as pointers", where(recv, f), n.Obj().Name()))
					}
					users[n.Obj().Name()] = append(users[n.Obj().Name()], f.Name())
				}
				if sig.Results().Len() > 0 {
					if n := namedOf(sig.Results().At(0).Type()); n != nil && n.Obj().Pkg() == p.types && strings.HasSuffix(n.Obj().Name(), "Response") {
						returned[n.Obj().Name()] = append(returned[n.Obj().Name()], f.Name())
					}
				}
			})
			for _, name := range p.types.Scope().Names() {
				obj, ok := p.types.Scope().Lookup(name).(*types.TypeName)
				if !ok || !obj.Exported() {
					continue
				}
				if base, ok := strings.CutSuffix(name, "Request"); ok && base != "" {
					for _, m := range users[name] {
						if m != base && m != base+"Iter" && m != base+"Many" {
							bad = append(bad, fmt.Sprintf("%s.%s: used by method %s; a request type belongs to method %s (and its Iter/Many)", p.name, name, m, base))
						}
					}
					if len(users[name]) == 0 {
						bad = append(bad, fmt.Sprintf("%s.%s: no method %s takes it", p.name, name, base))
					}
				}
				if base, ok := strings.CutSuffix(name, "Response"); ok && base != "" {
					for _, m := range returned[name] {
						if m != base {
							bad = append(bad, fmt.Sprintf("%s.%s: returned by method %s; a response type belongs to method %s", p.name, name, m, base))
						}
					}
					if len(returned[name]) == 0 {
						bad = append(bad, fmt.Sprintf("%s.%s: no method %s returns it", p.name, name, base))
					}
				}
			}
		}
		violations(t, "<Method>Request/<Method>Response one to one", bad)
	})

	t.Run("docs-link", func(t *testing.T) {
		var bad []string
		for _, p := range pkgs {
			for _, file := range p.files {
				for _, d := range file.Decls {
					fd, ok := d.(*ast.FuncDecl)
					if !ok || fd.Body == nil || !fd.Name.IsExported() || !callsEndpoint(p, fd.Body) {
						continue
					}
					if fd.Doc == nil || !strings.Contains(fd.Doc.Text(), "WeCom API docs: https://developer.work.weixin.qq.com/document/path/") {
						bad = append(bad, fmt.Sprintf("%s: %s calls an endpoint but its doc has no \"WeCom API docs: https://developer.work.weixin.qq.com/document/path/…\" line",
							p.fset.Position(fd.Pos()), fd.Name.Name))
					}
				}
			}
		}
		violations(t, "docs link on endpoint methods", bad)
	})

	t.Run("iter", func(t *testing.T) {
		var bad []string
		for _, p := range pkgs {
			each(p, func(recv *types.TypeName, f *types.Func, sig *types.Signature) {
				if !strings.HasSuffix(f.Name(), "Iter") {
					return
				}
				if sig.Results().Len() != 1 || !isSeq2(sig.Results().At(0).Type()) {
					bad = append(bad, where(recv, f)+": an …Iter method returns exactly iter.Seq2[Item, error]")
					return
				}
				if seq := sig.Results().At(0).Type().(*types.Named); !isError(seq.TypeArgs().At(1)) {
					bad = append(bad, where(recv, f)+": an …Iter method yields (item, error)")
				}
				if sig.Params().Len() == 0 || !isContext(sig.Params().At(0).Type()) {
					bad = append(bad, where(recv, f)+": an …Iter method takes ctx first")
				}
			})
		}
		violations(t, "…Iter returns iter.Seq2", bad)
	})

	t.Run("many", func(t *testing.T) {
		var bad []string
		for _, p := range pkgs {
			each(p, func(recv *types.TypeName, f *types.Func, sig *types.Signature) {
				if !strings.HasSuffix(f.Name(), "Many") || recv == nil {
					return
				}
				ok := sig.Params().Len() == 3 && isContext(sig.Params().At(0).Type()) &&
					types.Identical(sig.Params().At(2).Type(), types.Typ[types.Int]) && sig.Params().At(2).Name() == "concurrency" &&
					sig.Results().Len() == 2 && isBatchResults(sig.Results().At(0).Type()) && isError(sig.Results().At(1).Type())
				if !ok {
					bad = append(bad, where(recv, f)+": want (ctx context.Context, in, concurrency int) ([]wecom.BatchResult[I, V], error)")
				}
			})
		}
		violations(t, "…Many has the one signature", bad)
	})

	t.Run("options", func(t *testing.T) {
		var bad []string
		for _, p := range pkgs {
			each(p, func(recv *types.TypeName, f *types.Func, sig *types.Signature) {
				if recv != nil {
					if strings.HasPrefix(f.Name(), "With") && sig.Results().Len() == 1 && types.Identical(sig.Results().At(0).Type(), types.NewPointer(recv.Type())) {
						bad = append(bad, where(recv, f)+": a With… method that returns its receiver type reads as a copying option; use an option of the constructor")
					}
					return
				}
				name := f.Name()
				isOpt := strings.HasPrefix(name, "With") || strings.HasPrefix(name, "Without") || strings.HasPrefix(name, "Insecure")
				returnsOpt := sig.Results().Len() == 1 && namedOf(sig.Results().At(0).Type()) != nil &&
					strings.HasSuffix(namedOf(sig.Results().At(0).Type()).Obj().Name(), "Option")
				switch {
				case isOpt && !returnsOpt:
					bad = append(bad, where(recv, f)+": With… functions are options and return an …Option type")
				case !isOpt && returnsOpt:
					bad = append(bad, where(recv, f)+": an option's name starts with With (or Without/Insecure for a safety switch)")
				}
			})
			for _, name := range p.types.Scope().Names() {
				obj, ok := p.types.Scope().Lookup(name).(*types.TypeName)
				if !ok || !obj.Exported() || !strings.HasSuffix(name, "Option") {
					continue
				}
				switch obj.Type().Underlying().(type) {
				case *types.Signature, *types.Interface:
				default:
					continue // a WeCom shape that happens to end in Option (acquisition.PriorityOption)
				}
				target := strings.TrimSuffix(name, "Option")
				if target != "" && !configurable(p, target) {
					bad = append(bad, fmt.Sprintf("%s.%s: an option type is named after what it configures; %s has no type or method %s", p.name, name, p.name, target))
				}
			}
		}
		violations(t, "one option convention", bad)
	})

	t.Run("no-mutable-globals", func(t *testing.T) {
		var bad []string
		for _, p := range pkgs {
			for _, name := range p.types.Scope().Names() {
				v, ok := p.types.Scope().Lookup(name).(*types.Var)
				if !ok || !v.Exported() {
					continue
				}
				if strings.HasPrefix(name, "Err") && isError(v.Type()) {
					continue
				}
				bad = append(bad, fmt.Sprintf("%s.%s: an exported variable other than an Err… sentinel; make it a constant or a function", p.name, name))
			}
		}
		violations(t, "no exported mutable variables", bad)
	})

	t.Run("no-map-any", func(t *testing.T) {
		var bad []string
		for _, p := range pkgs {
			scope := p.types.Scope()
			for _, name := range scope.Names() {
				obj := scope.Lookup(name)
				if !obj.Exported() {
					continue
				}
				if tn, ok := obj.(*types.TypeName); ok {
					if s, ok := tn.Type().Underlying().(*types.Struct); ok {
						for i := range s.NumFields() {
							if f := s.Field(i); f.Exported() && hasMapAny(f.Type(), 0) {
								bad = append(bad, fmt.Sprintf("%s.%s.%s: map[string]any in the public surface", p.name, name, f.Name()))
							}
						}
					}
				}
			}
			each(p, func(recv *types.TypeName, f *types.Func, sig *types.Signature) {
				if hasMapAny(sig, 0) {
					bad = append(bad, where(recv, f)+": map[string]any in the public surface")
				}
			})
		}
		violations(t, "no map[string]any", bad)
	})

	t.Run("one-name-one-meaning", func(t *testing.T) {
		owners := map[string][]string{}
		for _, p := range pkgs {
			for _, name := range p.types.Scope().Names() {
				if tn, ok := p.types.Scope().Lookup(name).(*types.TypeName); ok && tn.Exported() {
					owners[name] = append(owners[name], p.name)
				}
			}
		}
		var bad []string
		for name := range sharedNames {
			if len(owners[name]) < 2 {
				bad = append(bad, fmt.Sprintf("sharedNames lists %s, which %d package(s) declare: drop the stale entry", name, len(owners[name])))
			}
		}
		for name, ps := range owners {
			if len(ps) > 1 && sharedNames[name] == "" {
				bad = append(bad, fmt.Sprintf("type %s is declared in %s; qualify the names or add it to sharedNames with the reason it means the same thing", name, strings.Join(ps, ", ")))
			}
		}
		violations(t, "one name, one meaning", bad)
	})
}

// configurable reports whether p has an exported type, or an exported
// method of an exported type, called name (SyncOption configures
// Service.Sync).
func configurable(p *pkg, name string) bool {
	if o, ok := p.types.Scope().Lookup(name).(*types.TypeName); ok && o.Exported() {
		return true
	}
	found := false
	each(p, func(recv *types.TypeName, f *types.Func, _ *types.Signature) {
		if recv != nil && f.Name() == name {
			found = true
		}
	})
	return found
}

func isError(t types.Type) bool { return types.Identical(t, types.Universe.Lookup("error").Type()) }

func isSeq2(t types.Type) bool {
	n, ok := t.(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "iter" && n.Obj().Name() == "Seq2"
}

func isBatchResults(t types.Type) bool {
	s, ok := t.(*types.Slice)
	if !ok {
		return false
	}
	n, ok := s.Elem().(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == module+"/wecom" && n.Obj().Name() == "BatchResult"
}

// hasMapAny reports whether t contains a map from string to an empty
// interface (depth-bounded; named types other than the map itself are not
// followed, their own declarations are checked on their own).
func hasMapAny(t types.Type, depth int) bool {
	if depth > 4 {
		return false
	}
	switch u := t.(type) {
	case *types.Map:
		if b, ok := u.Key().Underlying().(*types.Basic); ok && b.Kind() == types.String {
			if i, ok := u.Elem().Underlying().(*types.Interface); ok && i.Empty() {
				return true
			}
		}
		return hasMapAny(u.Elem(), depth+1)
	case *types.Pointer:
		return hasMapAny(u.Elem(), depth+1)
	case *types.Slice:
		return hasMapAny(u.Elem(), depth+1)
	case *types.Signature:
		for i := range u.Params().Len() {
			if hasMapAny(u.Params().At(i).Type(), depth+1) {
				return true
			}
		}
		for i := range u.Results().Len() {
			if hasMapAny(u.Results().At(i).Type(), depth+1) {
				return true
			}
		}
	}
	return false
}

// callsEndpoint reports whether body uses a string constant (a literal or
// a named constant) holding a WeCom endpoint path ("/cgi-bin/...").
func callsEndpoint(p *pkg, body *ast.BlockStmt) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if found {
			return false
		}
		e, ok := n.(ast.Expr)
		if !ok {
			return true
		}
		if tv, ok := p.info.Types[e]; ok && tv.Value != nil && tv.Value.Kind() == constant.String {
			if strings.HasPrefix(constant.StringVal(tv.Value), "/cgi-bin/") {
				found = true
				return false
			}
		}
		return true
	})
	return found
}
