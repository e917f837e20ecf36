package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/taskoverflow-lab/taskoverflow/internal/version"
)

// `deploy version` and `deploy -version` print the version line and succeed.
func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "-version", "--version"} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), []string{arg}, nil, strings.NewReader(""), &stdout, &stderr); err != nil {
			t.Errorf("deploy %s: %v", arg, err)
		}
		if got, want := stdout.String(), version.Line("deploy")+"\n"; got != want {
			t.Errorf("deploy %s: got %q, want %q (stderr %q)", arg, got, want, stderr.String())
		}
	}
}
