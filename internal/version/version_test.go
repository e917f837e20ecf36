package version

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The linker flag make build and make dist pass sets the version a binary
// prints; without it the binary says devel.
func TestLinkerSetsVersion(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "printversion")
	for _, tt := range []struct{ ldflags, want string }{
		{"-X github.com/taskoverflow-lab/taskoverflow/internal/version.version=v1.2.3-test", "v1.2.3-test"},
		{"", "devel"},
	} {
		out, err := exec.Command("go", "build", "-ldflags", tt.ldflags, "-o", bin, "./testdata/printversion").CombinedOutput()
		if err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
		out, err = exec.Command(bin).Output()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(out)); got != tt.want {
			t.Errorf("ldflags %q: got %q, want %q", tt.ldflags, got, tt.want)
		}
	}
}

func TestLine(t *testing.T) {
	want := "lab devel (" + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")"
	if got := Line("lab"); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for arg, want := range map[string]bool{"version": true, "-version": true, "--version": true, "-v": false, "run": false} {
		if got := IsRequest(arg); got != want {
			t.Errorf("IsRequest(%q): got %v, want %v", arg, got, want)
		}
	}
}
