// Package readmetest checks that every Go snippet of README.md is code that
// compiles: each one must appear, line for line, in a test file of the
// module (an Example function or a test), so it cannot drift.
package readmetest

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var space = regexp.MustCompile(`\s+`)

// normalize drops blank lines and compares lines with their whitespace
// collapsed, so gofmt's alignment may differ between README and source.
func normalize(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(space.ReplaceAllString(l, " "))
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

func contains(haystack, needle []string) bool {
	for i := 0; i+len(needle) <= len(haystack); i++ {
		match := true
		for j := range needle {
			if haystack[i+j] != needle[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// readmes are the README files, in every language; they carry the same
// snippets in the same order.
var readmes = []string{"README.md", "README.zh-CN.md"}

// testSources returns every test file of the module, normalized.
func testSources(t *testing.T, root string) [][]string {
	t.Helper()
	var sources [][]string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, "_test.go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sources = append(sources, normalize(string(b)))
		}
		return nil
	})
	require.NoError(t, err)
	return sources
}

// goSnippets returns the Go snippets of a README file.
func goSnippets(t *testing.T, root, name string) []string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(root, name))
	require.NoError(t, err)
	var out []string
	for _, b := range regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		out = append(out, b[1])
	}
	require.NotEmpty(t, out, "%s has no Go snippets", name)
	return out
}

// TestREADMESnippetsAreCompiled fails when a Go snippet of a README is not,
// line for line, code of a test file (an Example function or a test), so
// that no snippet can drift from code that compiles and runs.
func TestREADMESnippetsAreCompiled(t *testing.T) {
	root := filepath.Join("..", "..")
	sources := testSources(t, root)
	for _, name := range readmes {
		for _, snippet := range goSnippets(t, root, name) {
			want := normalize(snippet)
			found := false
			for _, src := range sources {
				if contains(src, want) {
					found = true
					break
				}
			}
			assert.True(t, found, "%s: snippet is not in any test file (write it as an Example function and copy it):\n%s", name, snippet)
		}
	}
}

// TestREADMEsCarryTheSameSnippets fails when the README of one language
// has a snippet the other lacks, or in another order.
func TestREADMEsCarryTheSameSnippets(t *testing.T) {
	root := filepath.Join("..", "..")
	en := goSnippets(t, root, readmes[0])
	for _, name := range readmes[1:] {
		other := goSnippets(t, root, name)
		require.Equal(t, len(en), len(other), "%s has %d Go snippets, %s %d", readmes[0], len(en), name, len(other))
		for i := range en {
			assert.Equal(t, normalize(en[i]), normalize(other[i]), "snippet %d differs between %s and %s", i+1, readmes[0], name)
		}
	}
}

// TestREADMEsStartWithTheTwoCommands: each README opens with the command
// that runs the quickstart and the one that runs the test suite, and links
// the other languages.
func TestREADMEsStartWithTheTwoCommands(t *testing.T) {
	for _, name := range readmes {
		readme, err := os.ReadFile(filepath.Join("..", "..", name))
		require.NoError(t, err)
		head := string(readme)
		i := strings.Index(head, "```sh\n")
		require.True(t, i >= 0 && i < 300, "%s must open with a sh block", name)
		head = head[i:]
		head = head[:strings.Index(head[6:], "```")+6]
		for _, cmd := range []string{"go run ./examples/quickstart", "go test -race ./..."} {
			assert.Contains(t, head, cmd, "%s: the opening block", name)
		}
		for _, other := range readmes {
			assert.Contains(t, string(readme)[:i], "("+other+")", "%s links %s at its top", name, other)
		}
	}
}
