//go:build !race

package httpcore

// raceSlack is 0 without the race detector: allocation counts are exact.
const raceSlack = 0
