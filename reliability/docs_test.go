package reliability

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

// citedTest is a test or fuzz target a reliability page names, such as
// `TestFaultMatrix`.
var citedTest = regexp.MustCompile("`((?:Test|Fuzz)[A-Z][A-Za-z0-9_]*)`")

// fuzzCommand is a fuzzing command a page gives, with the package it runs
// in: go test -run '^$' -fuzz '^FuzzX$' -fuzztime 10s ./pkg
var fuzzCommand = regexp.MustCompile(`-fuzz '\^(Fuzz[A-Za-z0-9_]+)\$'.*?\s(\./[A-Za-z0-9_/]*|\.)\s*$`)

// TestTheReliabilityPagesCiteTestsThatExist checks that every test and fuzz
// target RELIABILITY.md and RELIABILITY-webhooks.md cite as evidence exists,
// and that each fuzzing command they give names a target of its package: a
// command that names none prints a warning, fuzzes nothing and passes.
func TestTheReliabilityPagesCiteTestsThatExist(t *testing.T) {
	t.Parallel()
	funcs := map[string][]string{} // test name -> directories (relative to the module root) that declare it
	decl := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)[A-Za-z0-9_]+)\(`)
	require.NoError(t, filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel("..", filepath.Dir(path))
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			funcs[m[1]] = append(funcs[m[1]], filepath.ToSlash(rel))
		}
		return nil
	}))
	require.NotEmpty(t, funcs["TestFaultMatrix"], "the walk found this package's tests")

	commands := 0
	for _, page := range []string{"RELIABILITY.md", "RELIABILITY-webhooks.md"} {
		text, err := os.ReadFile(filepath.Join("..", page))
		require.NoError(t, err)
		for _, m := range citedTest.FindAllStringSubmatch(string(text), -1) {
			assert.NotEmpty(t, funcs[m[1]], "%s cites %s, which no test file declares", page, m[1])
		}
		for _, line := range strings.Split(string(text), "\n") {
			m := fuzzCommand.FindStringSubmatch(strings.TrimSpace(line))
			if m == nil {
				continue
			}
			commands++
			dir := strings.TrimPrefix(strings.TrimPrefix(m[2], "./"), ".")
			if dir == "" {
				dir = "."
			}
			assert.Contains(t, funcs[m[1]], dir, "%s: %q fuzzes nothing: package %s declares no %s", page, line, m[2], m[1])
		}
	}
	assert.GreaterOrEqual(t, commands, 4, "the fuzzing commands were found")
}
