package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// decodeStrict decodes one manifest into the k8s.io/api type of its kind;
// a field the type does not have is an error.
func decodeStrict(t *testing.T, doc string) any {
	t.Helper()
	var head struct {
		Kind string `json:"kind"`
	}
	if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
		t.Fatalf("manifest: %v\n%s", err, doc)
	}
	var obj any
	switch head.Kind {
	case "Job":
		obj = &batchv1.Job{}
	case "PersistentVolumeClaim":
		obj = &corev1.PersistentVolumeClaim{}
	default:
		t.Fatalf("unexpected kind %q", head.Kind)
	}
	if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
		t.Fatalf("%s does not decode strictly: %v\n%s", head.Kind, err, doc)
	}
	return obj
}

func manifests(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var docs []string
	for _, d := range strings.Split(string(b), "\n---\n") {
		if strings.TrimSpace(d) != "" {
			docs = append(docs, d)
		}
	}
	return docs
}

// TestK8sManifestsDecodeStrictlyAndHoldTheInvariants generates the
// manifests for several shard counts and checks what makes the run sound:
// one pod per shard at once, no retry, every shard's file merged.
func TestK8sManifestsDecodeStrictlyAndHoldTheInvariants(t *testing.T) {
	for _, shards := range []int{1, 3, 7} {
		t.Run(fmt.Sprint(shards, " shards"), func(t *testing.T) {
			// A directory that does not exist yet: k8s makes it.
			dir := filepath.Join(t.TempDir(), "deploy", "k8s")
			code, stdout, stderr := runCLI(t, context.Background(), nil, "k8s", "--image", "registry.example/loadtest:1",
				"--endpoint", "http://api.default.svc:6400", "--shards", fmt.Sprint(shards), "--name", "wk8",
				"--threshold", "http_req_duration{p95}<300ms", "--dir", dir, "--", "planners-and-studiers", "--variant", "fixed")
			if code != exitOK {
				t.Fatalf("loadtest k8s: exit %d\n%s", code, stderr)
			}
			if !strings.Contains(stdout, "kubectl apply") {
				t.Errorf("no commands to run them:\n%s", stdout)
			}
			var claim *corev1.PersistentVolumeClaim
			var job *batchv1.Job
			for _, d := range manifests(t, filepath.Join(dir, "shards.yaml")) {
				switch o := decodeStrict(t, d).(type) {
				case *corev1.PersistentVolumeClaim:
					claim = o
				case *batchv1.Job:
					job = o
				}
			}
			if claim == nil || job == nil {
				t.Fatalf("shards.yaml: want a claim and a Job")
			}
			spec := job.Spec
			switch {
			case spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion:
				t.Errorf("completionMode %v, want Indexed", spec.CompletionMode)
			case spec.Completions == nil || *spec.Completions != int32(shards) || spec.Parallelism == nil || *spec.Parallelism != int32(shards):
				t.Errorf("completions %v, parallelism %v; want %d each", spec.Completions, spec.Parallelism, shards)
			case spec.BackoffLimit == nil || *spec.BackoffLimit != 0:
				t.Errorf("backoffLimit %v, want 0: a retried shard would replay its load late", spec.BackoffLimit)
			case spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever:
				t.Errorf("restartPolicy %q, want Never", spec.Template.Spec.RestartPolicy)
			case !slices.Contains(claim.Spec.AccessModes, corev1.ReadWriteMany):
				t.Errorf("claim access modes %v: the pods of every node write to it", claim.Spec.AccessModes)
			}
			c := spec.Template.Spec.Containers[0]
			env := map[string]corev1.EnvVar{}
			for _, e := range c.Env {
				env[e.Name] = e
			}
			if env["SHARD_COUNT"].Value != fmt.Sprint(shards) {
				t.Errorf("SHARD_COUNT %q, want %d", env["SHARD_COUNT"].Value, shards)
			}
			if f := env["SHARD_INDEX"].ValueFrom; f == nil || f.FieldRef == nil || !strings.Contains(f.FieldRef.FieldPath, "job-completion-index") {
				t.Errorf("SHARD_INDEX does not come from the completion index: %+v", env["SHARD_INDEX"])
			}
			arg := func(args []string, flag string) string {
				i := slices.Index(args, flag)
				if i < 0 || i+1 >= len(args) {
					t.Fatalf("no %s in %q", flag, args)
				}
				return args[i+1]
			}
			if c.Args[0] != "run" || c.Args[1] != "planners-and-studiers" || arg(c.Args, "--variant") != "fixed" {
				t.Errorf("shard args %q: want run planners-and-studiers --variant fixed ...", c.Args)
			}
			if arg(c.Args, "--run-id") != "wk8" || arg(c.Args, "--threshold") != "http_req_duration{p95}<300ms" {
				t.Errorf("shard args %q: want the run id and the thresholds", c.Args)
			}
			if arg(c.Args, "--metrics-addr") != fmt.Sprintf(":%d", k8sMetricsPort) || len(c.Ports) != 1 || c.Ports[0].ContainerPort != k8sMetricsPort {
				t.Errorf("metrics: args %q, ports %+v", c.Args, c.Ports)
			}
			out := arg(c.Args, "--out")
			vol := spec.Template.Spec.Volumes[0]
			if vol.PersistentVolumeClaim == nil || vol.PersistentVolumeClaim.ClaimName != claim.Name || c.VolumeMounts[0].Name != vol.Name || !strings.HasPrefix(out, c.VolumeMounts[0].MountPath+"/") {
				t.Errorf("the shards do not write %s to the claim %s", out, claim.Name)
			}

			docs := manifests(t, filepath.Join(dir, "merge.yaml"))
			if len(docs) != 1 {
				t.Fatalf("merge.yaml: %d manifests, want the merge Job", len(docs))
			}
			merge, ok := decodeStrict(t, docs[0]).(*batchv1.Job)
			if !ok {
				t.Fatal("merge.yaml: not a Job")
			}
			if merge.Spec.BackoffLimit == nil || *merge.Spec.BackoffLimit != 0 || merge.Spec.Template.Spec.Volumes[0].PersistentVolumeClaim.ClaimName != claim.Name {
				t.Errorf("merge Job: backoffLimit %v, claim %+v", merge.Spec.BackoffLimit, merge.Spec.Template.Spec.Volumes[0])
			}
			margs := merge.Spec.Template.Spec.Containers[0].Args
			var want []string
			for i := range shards {
				want = append(want, strings.ReplaceAll(out, "$(SHARD_INDEX)", fmt.Sprint(i)))
			}
			if margs[0] != "merge" || !slices.Equal(margs[1:1+shards], want) {
				t.Errorf("merge args %q: want merge of every shard's file %q", margs, want)
			}
		})
	}
}

// TestK8sStrictDecodingRefusesUnknownFields shows the strict decoding the
// manifest test relies on does fail on a field Kubernetes does not know.
func TestK8sStrictDecodingRefusesUnknownFields(t *testing.T) {
	doc := "apiVersion: batch/v1\nkind: Job\nspec:\n  completionMode: Indexed\n  backofLimit: 0\n"
	if err := yaml.UnmarshalStrict([]byte(doc), &batchv1.Job{}); err == nil {
		t.Error("a misspelt backofLimit decoded without an error")
	}
}

func TestK8sRefusesMissingSettings(t *testing.T) {
	for _, args := range [][]string{
		{"k8s", "--endpoint", "http://x", "--", "smoke"},
		{"k8s", "--image", "i", "--", "smoke"},
		{"k8s", "--image", "i", "--endpoint", "http://x"},
		{"k8s", "--image", "i", "--endpoint", "http://x", "--shards", "0", "--", "smoke"},
		{"k8s", "--image", "i", "--endpoint", "http://x", "--name", "Bad_Name", "--", "smoke"},
	} {
		if code, _, stderr := runCLI(t, context.Background(), nil, args...); code != exitUsage || !strings.Contains(stderr, "loadtest k8s:") {
			t.Errorf("%q: exit %d, want %d with a message\n%s", args, code, exitUsage, stderr)
		}
	}
}
