package kryptos

import (
	"slices"
	"strings"
	"sync"
)

// An id that equals the fixed segment of a sibling route would reach that
// route: GetPortfolio(ctx, "default") asks for GET /v1/portfolios/default,
// the default portfolio, and reads its answer as the wrong shape. Escaping
// cannot help, as the id is a plain word. So each path parameter refuses
// the fixed segments that other operations of the same method have in its
// place, read from the operation table.

// siblings holds, for each operation and path segment, the fixed segments
// of the other routes in that place.
var siblings = sync.OnceValue(func() map[*operation]map[int][]string {
	out := map[*operation]map[int][]string{}
	for _, o := range operations {
		own := strings.Split(o.path, "/")
		for _, other := range operations {
			theirs := strings.Split(other.path, "/")
			if other == o || other.method != o.method || other.api != o.api {
				continue
			}
			for i, seg := range own {
				if !isParam(seg) || i >= len(theirs) || isParam(theirs[i]) || !samePrefix(own[:i], theirs[:i]) {
					continue
				}
				if out[o] == nil {
					out[o] = map[int][]string{}
				}
				if !slices.Contains(out[o][i], theirs[i]) {
					out[o][i] = append(out[o][i], theirs[i])
				}
			}
		}
	}
	return out
})

// checkParams refuses a path parameter that names a sibling route.
func (o *operation) checkParams(params []string) error {
	reserved := siblings()[o]
	if reserved == nil {
		return nil
	}
	k := 0
	for i, seg := range strings.Split(o.path, "/") {
		if !isParam(seg) || k >= len(params) {
			continue
		}
		if slices.Contains(reserved[i], params[k]) {
			return &ParamError{seg[1 : len(seg)-1], `must not be "` + params[k] + `": that is the path of another route`}
		}
		k++
	}
	return nil
}

func isParam(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// samePrefix reports whether two routes may match the same path up to
// here: their fixed segments agree, and a parameter matches anything.
func samePrefix(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] && !isParam(a[i]) && !isParam(b[i]) {
			return false
		}
	}
	return true
}
