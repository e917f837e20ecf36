package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// k8sExampleArgs are the arguments deploy/k8s/'s manifests were written
// with; docs/distributed.md shows the same command.
var k8sExampleArgs = []string{"k8s", "--image", "registry.example/taskoverflow-loadtest:latest",
	"--endpoint", "http://taskoverflow.default.svc:6400", "--shards", "3", "--name", "planners",
	"--threshold", "http_req_duration{p95}<300ms", "--threshold", "checks>0.99",
	"--", "planners-and-studiers", "--variant", "fixed"}

// TestK8sExampleManifestsAreCurrent checks deploy/k8s/ holds what
// loadtest k8s writes today, and that those files decode strictly.
func TestK8sExampleManifestsAreCurrent(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCLI(t, context.Background(), nil, append([]string{"k8s", "--dir", dir}, k8sExampleArgs[1:]...)...); code != exitOK {
		t.Fatalf("loadtest k8s: exit %d\n%s", code, stderr)
	}
	for _, name := range []string{"shards.yaml", "merge.yaml"} {
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		committed := filepath.Join(root, "deploy", "k8s", name)
		got, err := os.ReadFile(committed)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s is not what loadtest k8s writes: run it again (see docs/distributed.md)", committed)
		}
		for _, d := range manifests(t, committed) {
			decodeStrict(t, d)
		}
	}
}
