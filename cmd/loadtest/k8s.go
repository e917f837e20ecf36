package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
)

// k8sMetricsPort is where each shard pod serves --metrics-addr.
const k8sMetricsPort = 9465

// k8sParams are what "loadtest k8s" writes into the manifests.
type k8sParams struct {
	Name, Namespace, Image, Endpoint, RunID, StartAt, Claim, StorageClass string
	Shards                                                                int
	Run                                                                   []string // loadtest run's arguments: SCENARIO and its flags
	Thresholds                                                            []string
	MetricsPort                                                           int
}

var k8sName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$`)

// runK8s implements "loadtest k8s": it writes the manifests that run a
// plan as N shards of a Kubernetes Indexed Job and merge them once.
func runK8s(args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("loadtest k8s", "loadtest k8s --image IMAGE --endpoint URL --shards N [--dir DIR] -- SCENARIO [run flags]...", stderr)
	p := k8sParams{MetricsPort: k8sMetricsPort}
	var thresholds listFlag
	fs.StringVar(&p.Name, "name", "loadtest", "name of the Jobs and the results claim (a DNS label)")
	fs.StringVar(&p.Namespace, "namespace", "default", "namespace of every object")
	fs.StringVar(&p.Image, "image", "", "container `IMAGE` holding the loadtest binary at /loadtest (docker build --target loadtest)")
	fs.StringVar(&p.Endpoint, "endpoint", "", "base `URL` of the API, as the pods reach it")
	fs.IntVar(&p.Shards, "shards", 3, "how many shards (pods) split the run")
	fs.StringVar(&p.RunID, "run-id", "", "name of the run, the same for every shard (default the --name)")
	fs.StringVar(&p.StartAt, "start-at", "", "RFC 3339 `TIME` every shard waits for (apply the manifests before it); default: each shard starts when its pod does, and the merge reports the skew")
	fs.StringVar(&p.Claim, "claim", "", "PersistentVolumeClaim for the results (default NAME-results, created ReadWriteMany)")
	fs.StringVar(&p.StorageClass, "storage-class", "", "storage class of the created claim (one that offers ReadWriteMany)")
	fs.Var(&thresholds, "threshold", "threshold judged once, on the merge (repeatable)")
	dir := fs.String("dir", ".", "write shards.yaml and merge.yaml into `DIR` (made when missing)")
	// After "--" come loadtest run's own arguments, passed on as they are.
	var pos []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, pos = args[:i], args[i+1:]
	}
	if err := fs.Parse(args); err != nil {
		return cli.FlagExit(err)
	}
	if fs.NArg() > 0 {
		pos = append(fs.Args(), pos...)
	}
	bad := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "loadtest k8s: "+format+"\n", a...)
		return exitUsage
	}
	switch {
	case len(pos) == 0:
		return bad("name the scenario to run, such as smoke")
	case p.Image == "":
		return bad("no --image: an image holding /loadtest")
	case p.Endpoint == "":
		return bad("no --endpoint: the API's URL as the pods reach it")
	case p.Shards < 1 || p.Shards > 1000:
		return bad("--shards %d: want 1 to 1000", p.Shards)
	case !k8sName.MatchString(p.Name):
		return bad("--name %q: want a DNS label of at most 40 characters", p.Name)
	}
	p.Run, p.Thresholds = pos, thresholds
	if p.RunID == "" {
		p.RunID = p.Name
	}
	createClaim := p.Claim == ""
	if createClaim {
		p.Claim = p.Name + "-results"
	}
	shards, merge, err := k8sManifests(p, createClaim)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest k8s: %v\n", err)
		return exitFailure
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "loadtest k8s: %v\n", err)
		return exitFailure
	}
	for name, body := range map[string]string{"shards.yaml": shards, "merge.yaml": merge} {
		if err := os.WriteFile(filepath.Join(*dir, name), []byte(body), 0o644); err != nil {
			fmt.Fprintf(stderr, "loadtest k8s: %v\n", err)
			return exitFailure
		}
	}
	fmt.Fprintf(stdout, `wrote %[1]s and %[2]s; run them with
  kubectl apply -f %[1]s
  kubectl -n %[3]s wait --for=condition=complete --timeout=1h job/%[4]s-shards
  kubectl apply -f %[2]s
  kubectl -n %[3]s wait --for=condition=complete --timeout=10m job/%[4]s-merge; kubectl -n %[3]s logs job/%[4]s-merge
the merge Job's exit code is the verdict: 0 passed, 99 a threshold crossed, 4 a shard missing
`, filepath.Join(*dir, "shards.yaml"), filepath.Join(*dir, "merge.yaml"), p.Namespace, p.Name)
	return exitOK
}

// k8sManifests renders the shards' manifest (the claim, when created, and
// the Indexed Job) and the merge Job's.
func k8sManifests(p k8sParams, createClaim bool) (shards, merge string, err error) {
	funcs := template.FuncMap{
		// q quotes a string as JSON, which YAML reads as the same string.
		"q": func(s string) string {
			var b strings.Builder
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(s)
			return strings.TrimSuffix(b.String(), "\n")
		},
		"files": func() []string {
			var f []string
			for i := range p.Shards {
				f = append(f, fmt.Sprintf("/results/%s-shard-%d.json", p.RunID, i))
			}
			return f
		},
	}
	var b strings.Builder
	t := template.Must(template.New("shards").Funcs(funcs).Parse(k8sShardsTmpl))
	if err := t.Execute(&b, struct {
		k8sParams
		CreateClaim bool
	}{p, createClaim}); err != nil {
		return "", "", err
	}
	shards = b.String()
	b.Reset()
	t = template.Must(template.New("merge").Funcs(funcs).Parse(k8sMergeTmpl))
	if err := t.Execute(&b, p); err != nil {
		return "", "", err
	}
	return shards, b.String(), nil
}

const k8sShardsTmpl = `# Generated by loadtest k8s: {{.Shards}} shards of one run, as an Indexed Job.
# backoffLimit 0: a failed shard is not retried, so no shard replays its
# load late; the merge then reports the run incomplete (exit 4).
{{- if .CreateClaim}}
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{q .Claim}}
  namespace: {{q .Namespace}}
  labels:
    app.kubernetes.io/name: loadtest
    app.kubernetes.io/instance: {{q .Name}}
spec:
  accessModes: ["ReadWriteMany"]
{{- if .StorageClass}}
  storageClassName: {{q .StorageClass}}
{{- end}}
  resources:
    requests:
      storage: 1Gi
---
{{- end}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{q (print .Name "-shards")}}
  namespace: {{q .Namespace}}
  labels:
    app.kubernetes.io/name: loadtest
    app.kubernetes.io/instance: {{q .Name}}
spec:
  completionMode: Indexed
  completions: {{.Shards}}
  parallelism: {{.Shards}}
  backoffLimit: 0
  template:
    metadata:
      labels:
        app.kubernetes.io/name: loadtest
        app.kubernetes.io/instance: {{q .Name}}
        app.kubernetes.io/component: shard
      annotations:
        prometheus.io/scrape: "true"
        prometheus.io/port: "{{.MetricsPort}}"
    spec:
      restartPolicy: Never
      containers:
        - name: loadtest
          image: {{q .Image}}
          command: ["/loadtest"]
          args:
            - "run"
{{- range .Run}}
            - {{q .}}
{{- end}}
            - "--endpoint"
            - {{q .Endpoint}}
            - "--run-id"
            - {{q .RunID}}
{{- if .StartAt}}
            - "--start-at"
            - {{q .StartAt}}
{{- end}}
{{- range .Thresholds}}
            - "--threshold"
            - {{q .}}
{{- end}}
            - "--quiet"
            - "--metrics-addr"
            - ":{{.MetricsPort}}"
            - "--out"
            - {{q (print "/results/" .RunID "-shard-$(SHARD_INDEX).json")}}
          env:
            # loadtest reads its segment from JOB_COMPLETION_INDEX (set by
            # the Job controller) and SHARD_COUNT; SHARD_INDEX names its file.
            - name: SHARD_COUNT
              value: "{{.Shards}}"
            - name: SHARD_INDEX
              valueFrom:
                fieldRef:
                  fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']"
          ports:
            - name: metrics
              containerPort: {{.MetricsPort}}
          volumeMounts:
            - name: results
              mountPath: /results
      volumes:
        - name: results
          persistentVolumeClaim:
            claimName: {{q .Claim}}
`

const k8sMergeTmpl = `# Generated by loadtest k8s: merges the shards of run {{q .RunID}} once
# they are all complete, and judges the whole run once: the Job's exit
# code is the verdict (0 passed, 99 a threshold crossed, 4 incomplete).
apiVersion: batch/v1
kind: Job
metadata:
  name: {{q (print .Name "-merge")}}
  namespace: {{q .Namespace}}
  labels:
    app.kubernetes.io/name: loadtest
    app.kubernetes.io/instance: {{q .Name}}
spec:
  completions: 1
  parallelism: 1
  backoffLimit: 0
  template:
    metadata:
      labels:
        app.kubernetes.io/name: loadtest
        app.kubernetes.io/instance: {{q .Name}}
        app.kubernetes.io/component: merge
    spec:
      restartPolicy: Never
      containers:
        - name: merge
          image: {{q .Image}}
          command: ["/loadtest"]
          args:
            - "merge"
{{- range files}}
            - {{q .}}
{{- end}}
            - "--out"
            - {{q (print "/results/" .RunID "-merged.json")}}
            - "--html"
            - {{q (print "/results/" .RunID "-merged.html")}}
          volumeMounts:
            - name: results
              mountPath: /results
      volumes:
        - name: results
          persistentVolumeClaim:
            claimName: {{q .Claim}}
`
