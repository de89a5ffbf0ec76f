package main

import (
	"net"
	"strconv"
)

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
