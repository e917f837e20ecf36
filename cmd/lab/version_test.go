package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/taskoverflow-lab/taskoverflow/internal/version"
)

// `lab version` and `lab -version` print the version line and succeed.
func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "-version", "--version"} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{arg}, func(string) string { return "" }, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Errorf("lab %s: exit %d, want 0", arg, code)
		}
		if got, want := stdout.String(), version.Line("lab")+"\n"; got != want {
			t.Errorf("lab %s: got %q, want %q (stderr %q)", arg, got, want, stderr.String())
		}
	}
}
