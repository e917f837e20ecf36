package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/taskoverflow-lab/taskoverflow/internal/version"
)

// `taskoverflow version` and `taskoverflow -version` print the version line and succeed.
func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "-version", "--version"} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), []string{arg}, func(string) string { return "" }, &stdout, &stderr); err != nil {
			t.Errorf("taskoverflow %s: %v", arg, err)
		}
		if got, want := stdout.String(), version.Line("taskoverflow")+"\n"; got != want {
			t.Errorf("taskoverflow %s: got %q, want %q (stderr %q)", arg, got, want, stderr.String())
		}
	}
}
