//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kryptos-connect/kryptos-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExportOf100000TransactionsKeepsMemoryBounded exports a user's 100,000
// transactions as CSV with the kryptos program and checks that its peak
// memory (the process's maximum resident set, from getrusage) stays far
// below what holding them would take: the iterator keeps a page or two, and
// the rows leave as they are read. 100,000 decoded transactions take about
// 300 MiB of heap (BENCHMARKS.md, "Reading data: paging").
func TestExportOf100000TransactionsKeepsMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("exports 100,000 transactions")
	}
	t.Parallel()
	url := sandboxProcess(t, "--transactions-per-wallet", "100000", "--no-rate-limits")
	token, _, _ := guest(t, url)
	user, err := kryptos.NewUserClient(kryptos.AccessToken(token), kryptos.WithSandbox(url))
	require.NoError(t, err)
	page, err := user.ListTransactionsPage(context.Background(), kryptos.TransactionsParams{Limit: 1})
	require.NoError(t, err)
	total := page.Total
	require.Greater(t, total, 90000, "the wallet's history less its spam airdrops, which the API hides by default")

	cmd := exec.Command(program(t), "data", "transactions", "--format", "csv")
	cmd.Env = environ(url, token)
	rows := &lineCounter{}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = rows, &stderr
	require.NoError(t, cmd.Start())
	peak := watchPeakMemory(cmd.Process.Pid)
	require.NoError(t, cmd.Wait(), stderr.String())
	peakMiB := float64(<-peak) / 1024

	assert.Equal(t, total+1, rows.lines, "a header and every transaction")
	assert.Empty(t, stderr.String(), "no counter when stderr is not a terminal")
	t.Logf("exported %d transactions (%.0f MiB of CSV); peak resident memory %.1f MiB", total, float64(rows.bytes)/(1<<20), peakMiB)
	assert.Less(t, peakMiB, 64.0, "the export must stream: peak memory independent of the number of rows")
}

// lineCounter counts the lines and bytes written to it, keeping none.
type lineCounter struct{ lines, bytes int }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.lines += bytes.Count(p, []byte{'\n'})
	c.bytes += len(p)
	return len(p), nil
}

// watchPeakMemory reads the high-water mark of the resident memory of
// process pid (VmHWM in /proc/pid/status, in KiB) every few milliseconds
// until the process is gone, and then sends the last value read. It is the
// program's own: getrusage's maxrss would count the test process too, whose
// memory the child shared until it called exec.
func watchPeakMemory(pid int) <-chan int {
	out := make(chan int, 1)
	go func() {
		peak := 0
		for {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
			if err != nil {
				out <- peak
				return
			}
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					kib, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
					peak = max(peak, kib)
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return out
}
