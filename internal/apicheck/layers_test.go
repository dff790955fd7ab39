package apicheck

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// layerOf returns the index in layers of the package at rel (the path
// inside the module), or -1.
func layerOf(rel string) int {
	for i, l := range layers {
		for _, p := range l.packages {
			if base, ok := strings.CutSuffix(p, "/..."); ok {
				if rel == base || strings.HasPrefix(rel, base+"/") {
					return i
				}
			} else if rel == p {
				return i
			}
		}
	}
	return -1
}

// TestLayers fails when a package imports one of this module at its own
// layer or above (layers.go), or is missing from the table.
func TestLayers(t *testing.T) {
	load(t)
	var bad []string
	for path, l := range listing {
		if l.DepOnly || !strings.HasPrefix(path, module) {
			continue
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
		me := layerOf(rel)
		if me < 0 {
			bad = append(bad, fmt.Sprintf("%s is in no layer: add it to internal/apicheck/layers.go (and ARCHITECTURE.md)", rel))
			continue
		}
		for _, imp := range l.Imports {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			irel := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
			if rel == "wecom/wecomtest" && !slices.Contains(fakeImports, irel) {
				bad = append(bad, fmt.Sprintf("wecom/wecomtest imports %s: the fake imports only %v, so that it never shares the SDK's wire types", irel, fakeImports))
				continue
			}
			if it := layerOf(irel); it >= me && layers[me].name != "programs" {
				bad = append(bad, fmt.Sprintf("%s (layer %d, %s) imports %s (layer %d): a package imports only lower layers",
					rel, me, layers[me].name, irel, it))
			}
		}
	}
	sort.Strings(bad)
	assert.Empty(t, bad, "%d layer violation(s):\n\t%s", len(bad), strings.Join(bad, "\n\t"))
}
