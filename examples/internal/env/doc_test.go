package env

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fileRef matches a file name a comment may point the reader to.
var fileRef = regexp.MustCompile(`[A-Za-z0-9_./-]+\.(?:md|txt|go)\b`)

// TestHelperDocsNameOnlyFilesInTheRepository: the comments of the examples'
// helper packages (examples/internal/...) point only to files that are in
// the repository, looked up from the repository's root or from the
// package's directory.
func TestHelperDocsNameOnlyFilesInTheRepository(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(root, "go.mod"), "the repository's root")
	dirs, err := filepath.Glob(filepath.Join(root, "examples", "internal", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, dirs)
	checked := 0
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ParseComments)
			require.NoError(t, err)
			for _, cg := range f.Comments {
				for _, ref := range fileRef.FindAllString(cg.Text(), -1) {
					checked++
					_, errRoot := os.Stat(filepath.Join(root, ref))
					_, errDir := os.Stat(filepath.Join(dir, ref))
					assert.True(t, errRoot == nil || errDir == nil, "%s names %s, which is not in the repository", name, ref)
				}
			}
		}
	}
	assert.NotZero(t, checked, "the docs name at least one file (README.md)")
}
