// Package golden loads the docs' JSON samples kept under testdata/golden and
// compares the shape of an answer with them: the same keys and the same JSON
// types, whatever the values. The client's tests decode each sample; the
// sandbox's tests check that its answers have the sample's shape. It is
// test tooling: only tests import it.
package golden

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// Dir is the directory of the samples.
var Dir = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "golden")
}()

// Load returns the sample named name, such as "holdings.list.json".
func Load(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(Dir, name))
}

// Names lists every sample file.
func Names() ([]string, error) {
	m, err := filepath.Glob(filepath.Join(Dir, "*.json"))
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	sort.Strings(m)
	return m, err
}

// Options relax the comparison where the docs allow it.
type Options struct {
	// Nullable lists paths (as in "data[].roiPercentage") that may be null
	// in the answer although the sample has a value there.
	Nullable []string
	// Documented lists paths of keys that the docs' field tables give
	// beyond an abbreviated sample; the answer may have them.
	Documented []string
}

// SameShape reports how got differs in shape from want: a key missing or
// extra in an object, or a value of another JSON type. Where want has an
// empty object or array, any object or array fits (the docs leave its
// contents open); where want has null, any value fits. Every element of an
// array in got is compared with the first element of the array in want. An
// array of got may be empty, but somewhere in the answer each array the
// sample fills must have an element to compare, or the answer is reported
// as one that proves nothing.
func SameShape(want, got []byte, opts Options) error {
	var w, g any
	if err := decode(want, &w); err != nil {
		return fmt.Errorf("the sample: %w", err)
	}
	if err := decode(got, &g); err != nil {
		return fmt.Errorf("the answer: %w", err)
	}
	c := &comparer{nullable: map[string]bool{}, documented: map[string]bool{}, filled: map[string]bool{}, compared: map[string]bool{}}
	for _, p := range opts.Nullable {
		c.nullable[p] = true
	}
	for _, p := range opts.Documented {
		c.documented[p] = true
	}
	c.compare("", w, g)
	for _, path := range sortedKeys(c.filled) {
		if !c.compared[path] {
			c.problem(path, "empty in the answer wherever the sample has entries: nothing to compare")
		}
	}
	if len(c.problems) > 0 {
		return fmt.Errorf("shape differs from the sample:\n  %s", strings.Join(c.problems, "\n  "))
	}
	return nil
}

func decode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

type comparer struct {
	nullable, documented map[string]bool
	// filled holds the paths of the sample's non-empty arrays, compared
	// those of the answer's arrays that had an element to compare.
	filled, compared map[string]bool
	problems         []string
}

func (c *comparer) problem(path, format string, args ...any) {
	if path == "" {
		path = "(top)"
	}
	c.problems = append(c.problems, path+": "+fmt.Sprintf(format, args...))
}

func (c *comparer) compare(path string, want, got any) {
	if want == nil {
		return // nullable, and its type unknown
	}
	if got == nil {
		if !c.nullable[path] {
			c.problem(path, "null where the sample has %s", kind(want))
		}
		return
	}
	if kind(want) != kind(got) {
		c.problem(path, "%s where the sample has %s", kind(got), kind(want))
		return
	}
	switch w := want.(type) {
	case map[string]any:
		g := got.(map[string]any)
		if len(w) == 0 {
			return // an object the docs leave open
		}
		for _, k := range sortedKeys(w) {
			v, ok := g[k]
			if !ok {
				c.problem(join(path, k), "missing")
				continue
			}
			c.compare(join(path, k), w[k], v)
		}
		for _, k := range sortedKeys(g) {
			if _, ok := w[k]; !ok && !c.documented[join(path, k)] {
				c.problem(join(path, k), "not in the sample")
			}
		}
	case []any:
		g := got.([]any)
		if len(w) == 0 {
			return
		}
		c.filled[path] = true
		if len(g) > 0 {
			c.compared[path] = true
		}
		for _, item := range g {
			c.compare(path+"[]", w[0], item)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func kind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
