// Package benchmarks measures the SDK against a hand-written net/http
// baseline and against the API's quotas. It holds only benchmarks, and the
// server process that BenchmarkOutOfProcess starts (a test that skips
// itself otherwise); see BENCHMARKS.md for the command, the goals and the
// numbers.
package benchmarks
