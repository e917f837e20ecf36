package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The server binary links no test machinery: no package testing, no
// testcontainers, no Docker client (they come with internal/backingtest,
// which only tests may import).
func TestServerLinksNoTestMachinery(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps listed %d packages, want the server's whole dependency graph", len(deps))
	}
	for _, dep := range deps {
		if forbiddenDep(dep) {
			t.Errorf("cmd/taskoverflow depends on %s", dep)
		}
	}
}

// The store and session packages take their own options; only the server's
// main maps configuration onto them.
func TestStoreAndSessionDoNotImportConfig(t *testing.T) {
	for _, pkg := range []string{"../../store", "../../session"} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasSuffix(dep, "/taskoverflow/config") {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
}

// forbiddenDep reports whether a package must not be linked into the server.
func forbiddenDep(pkg string) bool {
	return pkg == "testing" || strings.HasPrefix(pkg, "testing/") ||
		strings.Contains(pkg, "testcontainers") ||
		strings.HasPrefix(pkg, "github.com/docker/") ||
		strings.HasSuffix(pkg, "/internal/backingtest")
}

func TestForbiddenDep(t *testing.T) {
	tests := []struct {
		pkg  string
		want bool
	}{
		{"testing", true},
		{"testing/synctest", true},
		{"github.com/testcontainers/testcontainers-go", true},
		{"github.com/docker/docker/client", true},
		{"github.com/taskoverflow-lab/taskoverflow/internal/backingtest", true},
		{"github.com/taskoverflow-lab/taskoverflow/internal/backing", false},
		{"github.com/jackc/pgx/v5", false},
	}
	for _, tt := range tests {
		if got := forbiddenDep(tt.pkg); got != tt.want {
			t.Errorf("forbiddenDep(%s): got %v, want %v", tt.pkg, got, tt.want)
		}
	}
}
