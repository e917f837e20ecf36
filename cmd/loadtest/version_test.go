package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/taskoverflow-lab/taskoverflow/internal/version"
)

// `loadtest version` and `loadtest -version` print the version line and succeed.
func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "-version", "--version"} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{arg}, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Errorf("loadtest %s: exit %d, want 0", arg, code)
		}
		if got, want := stdout.String(), version.Line("loadtest")+"\n"; got != want {
			t.Errorf("loadtest %s: got %q, want %q (stderr %q)", arg, got, want, stderr.String())
		}
	}
}
