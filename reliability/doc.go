// Package reliability holds the SDK's reliability suites, as tests only:
// the fault matrix (every operation under every fault a network or proxy
// can produce), the soak (thousands of mixed calls from many goroutines
// under seeded random faults; -short skips it), bad inputs that must never
// reach the transport, end-to-end flows over loopback, and redaction of
// every secret across a whole flow. They use only the public API, against
// the kryptostest sandbox. RELIABILITY.md has the figures and the commands.
package reliability
