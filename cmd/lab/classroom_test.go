package main

import (
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The class repository's workflow template is a GitHub Actions workflow that
// runs make check on every push.
func TestClassroomWorkflow(t *testing.T) {
	b, err := os.ReadFile("../../docs/classroom/workflow.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Name        string            `yaml:"name"`
		Permissions map[string]string `yaml:"permissions"`
		On          map[string]any    `yaml:"on"`
		Jobs        map[string]struct {
			RunsOn         string `yaml:"runs-on"`
			TimeoutMinutes int    `yaml:"timeout-minutes"`
			Steps          []struct {
				Name string            `yaml:"name"`
				Uses string            `yaml:"uses"`
				Run  string            `yaml:"run"`
				With map[string]string `yaml:"with"`
				Env  map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&wf); err != nil {
		t.Fatalf("workflow.yml: %v", err)
	}
	if _, ok := wf.On["push"]; !ok {
		t.Errorf("on: %v, want push", wf.On)
	}
	if len(wf.Jobs) == 0 {
		t.Fatal("no jobs")
	}
	checks, checkout := 0, false
	for name, j := range wf.Jobs {
		if j.RunsOn == "" || len(j.Steps) == 0 {
			t.Errorf("job %s: runs-on %q, %d steps", name, j.RunsOn, len(j.Steps))
		}
		for _, s := range j.Steps {
			if (s.Uses == "") == (s.Run == "") {
				t.Errorf("job %s: a step must have one of uses and run: %+v", name, s)
			}
			checkout = checkout || strings.HasPrefix(s.Uses, "actions/checkout@")
			if strings.TrimSpace(s.Run) == "make check" {
				checks++
			}
		}
	}
	if checks != 1 || !checkout {
		t.Errorf("got %d make check steps and checkout %v, want one after a checkout", checks, checkout)
	}
}
