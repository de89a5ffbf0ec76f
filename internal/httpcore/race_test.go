//go:build race

package httpcore

// raceSlack is how many allocations per call the race detector's sync.Pool
// may add, by dropping some of the pooled calls (and their watches).
const raceSlack = 4
