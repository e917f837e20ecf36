//go:build unix

package apiproc

import (
	"os/exec"
	"strings"
	"testing"
)

// withNoFile's command (prlimit on Linux, sh's ulimit elsewhere) gives the
// program it runs the limit asked for.
func TestWithNoFileSetsTheLimit(t *testing.T) {
	name, args, err := withNoFile(321, "/bin/sh", []string{"-c", "ulimit -n; ulimit -Hn"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	if got := strings.Fields(string(out)); len(got) != 2 || got[0] != "321" || got[1] != "321" {
		t.Errorf("soft and hard limit: got %q, want 321 321", out)
	}
}
