package main

import (
	"context"
	"io"
	"net"
	"strconv"
)

// run runs one command line with no terminal and returns its exit code.
// getenv reads the environment (a map).
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, getenv, stdout, stderr, false)
}

func itoa(n int) string { return strconv.Itoa(n) }

type netListen struct{}

// free returns a loopback address with a port no one listens on.
func (netListen) free() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}
