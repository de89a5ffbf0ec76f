//go:build linux

package main

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProgressRendersOnATerminal runs `kryptos resync --wait` with its
// stderr on a pseudo-terminal, as in an operator's shell, and renders what
// the terminal received: the program must find out by itself that it is on
// a terminal, redraw one bar in place, and leave the final state on screen.
// With stderr on a pipe, the same command writes one line per status.
func TestProgressRendersOnATerminal(t *testing.T) {
	t.Parallel()
	url := sandboxProcess(t)
	token, userID, walletID := guest(t, url)
	args := []string{"resync", walletID, "--user-id", userID, "--mode", "from-start", "--wait", "--poll", "20ms"}

	cmd := exec.Command(program(t), args...)
	cmd.Env = environ(url, token)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	ptmx, tty, err := pty.Open()
	require.NoError(t, err)
	defer ptmx.Close()
	require.NoError(t, pty.Setsize(ptmx, &pty.Winsize{Rows: 24, Cols: 100}))
	cmd.Stderr = tty
	require.NoError(t, cmd.Start())
	tty.Close() // the child holds its own copy
	var screen bytes.Buffer
	_, err = io.Copy(&screen, ptmx)
	if !errors.Is(err, syscall.EIO) { // what reading gets once the child closed its end
		require.NoError(t, err)
	}
	require.NoError(t, cmd.Wait())

	raw := screen.String()
	assert.Greater(t, strings.Count(raw, "\r["), 1, "the bar is redrawn in place: %q", raw)
	lines := render(raw)
	require.NotEmpty(t, lines, raw)
	assert.Regexp(t, `^\[#{30}\] 100% completed +\d+ records$`, lines[len(lines)-1], "what the terminal shows at the end")
	assert.Len(t, lines, 1, "one line, redrawn: %q", lines)
	assert.Regexp(t, `Sync sync_\w+ completed: \d+ records processed, 0 failed`, stdout.String())

	// Not a terminal: a line per status, no carriage returns.
	cmd = exec.Command(program(t), args...)
	cmd.Env = environ(url, token)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	assert.NotContains(t, string(out), "\r")
	assert.Regexp(t, `(?s)sync sync_\w+: queued.*completed, 100%`, string(out))
}

// render plays what a terminal received and returns the lines it shows:
// "\r" moves to the start of the line, "\x1b[K" erases to its end, "\n"
// (sent as "\r\n" by the terminal's line discipline) starts a new line. It
// fails on any other escape sequence, which the program must not send.
func render(s string) []string {
	var lines []string
	var line []rune
	col := 0
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '\r':
			col = 0
		case r == '\n':
			lines = append(lines, string(line))
			line, col = nil, 0
		case r == '\x1b':
			if i+2 < len(rs) && rs[i+1] == '[' && rs[i+2] == 'K' {
				line = line[:col]
				i += 2
				continue
			}
			return append(lines, "unexpected escape sequence: "+string(rs[i:min(i+8, len(rs))]))
		default:
			if col < len(line) {
				line[col] = r
			} else {
				line = append(line, r)
			}
			col++
		}
	}
	if len(line) > 0 {
		lines = append(lines, string(line))
	}
	return lines
}
