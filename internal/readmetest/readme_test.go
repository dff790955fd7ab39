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

func TestREADMESnippetsAreCompiled(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var sources [][]string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
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
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no Go snippets")
	}
	for _, b := range blocks {
		want := normalize(b[1])
		found := false
		for _, src := range sources {
			if contains(src, want) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("README snippet is not in any test file (write it as an Example function and copy it):\n%s", b[1])
		}
	}
}

func TestREADMEStartsWithTheTwoCommands(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	head := string(readme)
	if i := strings.Index(head, "```sh\n"); i < 0 || i > 200 {
		t.Fatal("README.md must open with a sh block")
	} else {
		head = head[i:]
	}
	head = head[:strings.Index(head[6:], "```")+6]
	for _, cmd := range []string{"go run ./examples/quickstart", "go test -race ./..."} {
		if !strings.Contains(head, cmd) {
			t.Errorf("the opening block lacks %q", cmd)
		}
	}
}
