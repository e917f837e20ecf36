package main

import (
	"context"
	"fmt"
	"io"
)

// runScenario implements "loadtest run".
func runScenario(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "run: not built yet")
	return exitFailure
}

// runList implements "loadtest list".
func runList(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "list: not built yet")
	return exitFailure
}

// runReport implements "loadtest report".
func runReport(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "report: not built yet")
	return exitFailure
}

// runMerge implements "loadtest merge".
func runMerge(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "merge: not built yet")
	return exitFailure
}
