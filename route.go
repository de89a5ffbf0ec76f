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

// reservedParam is one path parameter of an operation: its name, and the
// words it must not be.
type reservedParam struct {
	name  string
	words []string
}

// siblings holds, for each operation with such words, its path parameters
// in order.
var siblings = sync.OnceValue(func() map[*operation][]reservedParam {
	segments := make(map[*operation][]string, len(operations))
	for _, o := range operations {
		segments[o] = strings.Split(o.path, "/")
	}
	out := map[*operation][]reservedParam{}
	for _, o := range operations {
		var params []reservedParam
		reserves := false
		for i, seg := range segments[o] {
			if !isParam(seg) {
				continue
			}
			p := reservedParam{name: seg[1 : len(seg)-1]}
			for _, other := range operations {
				theirs := segments[other]
				if other == o || other.method != o.method || other.api != o.api || i >= len(theirs) ||
					isParam(theirs[i]) || !samePrefix(segments[o][:i], theirs[:i]) || slices.Contains(p.words, theirs[i]) {
					continue
				}
				p.words = append(p.words, theirs[i])
				reserves = true
			}
			params = append(params, p)
		}
		if reserves {
			out[o] = params
		}
	}
	return out
})

// checkParams refuses a path parameter that names a sibling route.
func (o *operation) checkParams(params []string) error {
	reserved := siblings()[o]
	for k, v := range params {
		if k < len(reserved) && slices.Contains(reserved[k].words, v) {
			return &ParamError{reserved[k].name, `must not be "` + v + `": that is the path of another route`}
		}
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
