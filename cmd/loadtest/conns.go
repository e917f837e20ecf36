package main

import (
	"context"
	"fmt"
	"io"
)

// runConns implements "loadtest conns". This placeholder keeps the command
// compiling until the connection check lands; it replaces this file.
func runConns(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "conns: not built yet")
	return 2
}
