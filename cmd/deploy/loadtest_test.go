package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// fakeFleet stands in for ECS and S3. A started task really runs its shard: the container's
// command goes to loadtest's run command in this process, with the task's environment, against
// a loopback API, and PUTs its summary to the presigned URL, a loopback object store whose
// objects GetObject returns. How a shard's task ends is set per index in mode.
type fakeFleet struct {
	t    *testing.T
	api  string // the API's URL
	mode map[int]string

	mu      sync.Mutex
	store   *httptest.Server
	objects map[string][]byte // bucket/key -> body
	specs   []taskSpec
	tasks   map[string]*fakeTask
	stopped []string
	failRun int            // RunTask of this index fails (-1: none)
	running sync.WaitGroup // the shards that really run
}

type fakeTask struct {
	index    int
	done     bool
	exitCode *int
	reason   string
}

var _ fleet = (*fakeFleet)(nil)

func newFakeFleet(t *testing.T, mode map[int]string) *fakeFleet {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	t.Cleanup(api.Close)
	f := &fakeFleet{t: t, api: api.URL, mode: mode, objects: map[string][]byte{}, tasks: map[string]*fakeTask{}, failRun: -1}
	f.store = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut || r.URL.Query().Get("X-Amz-Signature") == "" {
			http.Error(w, "want a presigned PUT", http.StatusForbidden)
			return
		}
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.objects[strings.TrimPrefix(r.URL.Path, "/")] = b
		f.mu.Unlock()
	}))
	t.Cleanup(f.store.Close)
	t.Cleanup(f.running.Wait) // first: no shard outlives the servers
	return f
}

// shardPlan is the scenario every shard runs: 301 iterations shared among 6 VUs.
func shardPlan() loadtests.Plan {
	return loadtests.Plan{Name: "shardplan", Scenarios: []loadtests.Scenario{{
		Name:     "shared",
		Executor: loadtests.SharedIterations{VUs: 6, Iterations: 301},
		User: loadtests.Func("get", func(vu *loadtests.VU) error {
			vu.Check("is status 200", vu.Get("/").Status == 200)
			return nil
		}),
	}}}
}

func (f *fakeFleet) RunTask(ctx context.Context, t taskSpec) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := len(f.specs)
	f.specs = append(f.specs, t)
	if i == f.failRun {
		return "", errors.New("RunTask failure: RESOURCE:ENI")
	}
	arn := fmt.Sprintf("arn:aws:ecs:us-east-1:1:task/c/%d", i)
	task := &fakeTask{index: i}
	f.tasks[arn] = task
	switch f.mode[i] {
	case "hang": // runs past any timeout
	case "fail": // the container exits 1 before writing anything
		code := 1
		task.done, task.exitCode, task.reason = true, &code, "Essential container in task exited"
	case "no-start": // never ran its container
		task.done, task.reason = true, "CannotPullContainerError: pull image manifest has been retried 5 time(s)"
	case "silent": // exits 0 and writes nothing
		code := 0
		task.done, task.exitCode = true, &code
	default:
		f.running.Add(1)
		go func() {
			defer f.running.Done()
			if len(t.Command) < 2 || t.Command[0] != "run" {
				f.t.Errorf("task %d command %q: want run SCENARIO ...", i, t.Command)
			}
			getenv := func(k string) string { return t.Env[k] }
			var out, errOut bytes.Buffer
			code := loadtests.PlansCommand("loadtest", shardPlan()).Run(context.Background(), t.Command[1:], getenv, &out, &errOut)
			if code != 0 {
				f.t.Logf("shard %d: exit %d\n%s", i, code, errOut.String())
			}
			f.mu.Lock()
			task.done, task.exitCode, task.reason = true, &code, "Essential container in task exited"
			f.mu.Unlock()
		}()
	}
	return arn, nil
}

func (f *fakeFleet) DescribeTasks(ctx context.Context, cluster string, arns []string) ([]taskState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []taskState
	for _, arn := range arns {
		task := f.tasks[arn]
		st := taskState{ARN: arn, LastStatus: "RUNNING"}
		if task.done {
			st.LastStatus, st.ExitCode, st.StoppedReason = "STOPPED", task.exitCode, task.reason
			if task.exitCode == nil {
				st.StopCode = "TaskFailedToStart"
			}
		}
		out = append(out, st)
	}
	return out, nil
}

func (f *fakeFleet) StopTask(ctx context.Context, cluster, arn, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = append(f.stopped, arn)
	if task := f.tasks[arn]; task != nil {
		task.done, task.reason = true, reason
	}
	return nil
}

func (f *fakeFleet) PresignPut(ctx context.Context, bucket, key string, ttl time.Duration) (string, error) {
	if ttl <= 0 {
		f.t.Errorf("presign %s with ttl %s", key, ttl)
	}
	return f.store.URL + "/" + bucket + "/" + key + "?X-Amz-Signature=s", nil
}

func (f *fakeFleet) GetObject(ctx context.Context, bucket, key string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.objects[bucket+"/"+key]
	if !ok {
		return nil, fmt.Errorf("%w: %s", errNoObject, key)
	}
	return b, nil
}

func (f *fakeFleet) PutObject(ctx context.Context, bucket, key, contentType string, body []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objects[bucket+"/"+key] = body
	return nil
}

// fakeRun is a loadRun on a fake clock: Sleep waits until the shards that really run are done,
// then advances the clock by the pause, so that how long they take in real time never decides
// whether they beat the timeout.
func fakeRun(t *testing.T, f *fakeFleet, shards int, runArgs ...string) *loadRun {
	now := time.Now().Add(-5 * time.Second) // the shared start is then in the past: at once
	var mu sync.Mutex
	return &loadRun{
		Shards: shards, Scenario: "shardplan", RunArgs: runArgs, RunID: "r1", Endpoint: f.api,
		Cluster: "c", TaskDefinition: "td", Container: "loadtest", Bucket: "b",
		Subnets: []string{"s1", "s2"}, SecurityGroups: []string{"sg"},
		StartDelay: 0, Timeout: 5 * time.Minute, PollInterval: 10 * time.Second,
		ReportDir: t.TempDir(),
		Now:       func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		Sleep: func(ctx context.Context, d time.Duration) error {
			f.running.Wait()
			mu.Lock()
			now = now.Add(d)
			mu.Unlock()
			return ctx.Err()
		},
	}
}

func exitOf(err error) int {
	var e exitError
	if errors.As(err, &e) {
		return e.code
	}
	if err != nil {
		return 1
	}
	return 0
}

// TestLoadtestShardsMergeToTheWholeRun: three shards, one RunTask each with its own index and
// upload URL and one shared start; the summaries merge to exactly the whole run's 301
// iterations, judged once, and the report is written and uploaded.
func TestLoadtestShardsMergeToTheWholeRun(t *testing.T) {
	f := newFakeFleet(t, nil)
	r := fakeRun(t, f, 3, "--threshold", "iterations>=301")
	var stdout, stderr bytes.Buffer
	if err := r.run(context.Background(), f, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if len(f.specs) != 3 {
		t.Fatalf("%d RunTask calls, want 3 (one per shard)", len(f.specs))
	}
	var startAt string
	for i, s := range f.specs {
		if s.Env["SHARD_INDEX"] != fmt.Sprint(i) || s.Env["SHARD_COUNT"] != "3" {
			t.Errorf("task %d env %v: want SHARD_INDEX=%d SHARD_COUNT=3", i, s.Env, i)
		}
		if s.Cluster != "c" || s.TaskDefinition != "td" || s.Container != "loadtest" || !slices.Equal(s.Subnets, []string{"s1", "s2"}) {
			t.Errorf("task %d spec %+v", i, s)
		}
		out := s.Command[slices.Index(s.Command, "--out")+1]
		if want := fmt.Sprintf("/b/runs/r1/shard-%d.json?", i); !strings.Contains(out, want) {
			t.Errorf("task %d --out %s: want its own presigned URL (%s)", i, out, want)
		}
		at := s.Command[slices.Index(s.Command, "--start-at")+1]
		if i == 0 {
			startAt = at
		} else if at != startAt {
			t.Errorf("task %d --start-at %s, task 0 %s: want one shared start", i, at, startAt)
		}
		if !slices.Contains(s.Command, "--endpoint") || !slices.Contains(s.Command, "iterations>=301") {
			t.Errorf("task %d command %q: want the endpoint and the run flags", i, s.Command)
		}
	}
	m, err := metrics.ReadFile(filepath.Join(r.ReportDir, "merged.json"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Iterations.Complete != 301 || m.Total().Count != 301 {
		t.Errorf("merged: %d iterations, %d requests; want 301 each", m.Iterations.Complete, m.Total().Count)
	}
	if len(m.Thresholds) != 1 || !m.Thresholds[0].OK {
		t.Errorf("merged thresholds %+v: want iterations>=301 judged once and held", m.Thresholds)
	}
	for _, key := range []string{"b/runs/r1/report.html", "b/runs/r1/merged.json"} {
		if _, ok := f.objects[key]; !ok {
			t.Errorf("no %s uploaded", key)
		}
	}
	if !strings.Contains(stdout.String(), "report: "+filepath.Join(r.ReportDir, "report.html")+" (and s3://b/runs/r1/report.html)") {
		t.Errorf("stdout does not say where the report is:\n%s", stdout.String())
	}
	if !strings.Contains(stdout.String(), "3 stopped") {
		t.Errorf("no progress line saying the tasks stopped:\n%s", stdout.String())
	}
}

// TestLoadtestVerdicts: a threshold crossed on the whole run exits 99; a shard that failed,
// never started, wrote nothing or ran past the timeout makes the run incomplete (4).
func TestLoadtestVerdicts(t *testing.T) {
	for _, tc := range []struct {
		name    string
		mode    map[int]string
		args    []string
		code    int
		say     string
		stopped int
	}{
		{"a threshold crossed on the merge", nil, []string{"--threshold", "iterations>301"}, exitThreshold, "iterations>301", 0},
		{"a shard exits 1", map[int]string{1: "fail"}, nil, exitIncomplete, "shard 1 (task arn:aws:ecs:us-east-1:1:task/c/1) exited 1", 0},
		{"a shard never starts", map[int]string{2: "no-start"}, nil, exitIncomplete, "shard 2 (task arn:aws:ecs:us-east-1:1:task/c/2) never ran loadtest: TaskFailedToStart CannotPullContainerError", 0},
		{"a shard writes nothing", map[int]string{0: "silent"}, nil, exitIncomplete, "no summary at s3://b/runs/r1/shard-0.json", 0},
		{"a shard runs past the timeout", map[int]string{2: "hang"}, nil, exitIncomplete, "shard 2 (task arn:aws:ecs:us-east-1:1:task/c/2) did not stop in time and was stopped", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeFleet(t, tc.mode)
			r := fakeRun(t, f, 3, tc.args...)
			var stdout, stderr bytes.Buffer
			err := r.run(context.Background(), f, &stdout, &stderr)
			all := stderr.String() + fmt.Sprint(err)
			if got := exitOf(err); got != tc.code || !strings.Contains(all, tc.say) {
				t.Errorf("exit %d (%v), want %d saying %q\n%s", got, err, tc.code, tc.say, stderr.String())
			}
			if len(f.stopped) != tc.stopped {
				t.Errorf("%d tasks stopped (%v), want %d", len(f.stopped), f.stopped, tc.stopped)
			}
			if tc.code == exitIncomplete && !strings.Contains(all, "no verdict") {
				t.Errorf("an incomplete run gives a verdict: %s", all)
			}
		})
	}
}

// TestLoadtestRunTaskRefused: a shard that cannot start stops those already started.
func TestLoadtestRunTaskRefused(t *testing.T) {
	f := newFakeFleet(t, map[int]string{0: "hang", 1: "hang"})
	f.failRun = 2
	r := fakeRun(t, f, 3)
	err := r.run(context.Background(), f, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "start shard 2: RunTask failure") {
		t.Fatalf("run: %v, want start shard 2's failure", err)
	}
	if !slices.Equal(f.stopped, []string{"arn:aws:ecs:us-east-1:1:task/c/0", "arn:aws:ecs:us-east-1:1:task/c/1"}) {
		t.Errorf("stopped %v, want the two tasks started before", f.stopped)
	}
}

// TestLoadtestUsage: deploy loadtest refuses what would break the split before touching AWS.
func TestLoadtestUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		say  string
	}{
		{[]string{"--scenario", "x"}, "--shards"},
		{[]string{"--shards", "3"}, "--scenario"},
		{[]string{"--shards", "3", "--scenario", "x", "--", "--out", "f.json"}, "--out is set by deploy loadtest"},
		{[]string{"--shards", "3", "--scenario", "x", "--", "--shard=1/3"}, "--shard is set by deploy loadtest"},
	} {
		err := run(context.Background(), append([]string{"loadtest"}, tc.args...), nil, nil, io.Discard, io.Discard)
		var u usageError
		if !errors.As(err, &u) || !strings.Contains(err.Error(), tc.say) {
			t.Errorf("deploy loadtest %q: %v, want a usage error saying %q", tc.args, err, tc.say)
		}
	}
}

// TestLoadtestOutputsMissing: without loadgen_enabled the outputs are empty, and the error says
// how to create the load generator.
func TestLoadtestOutputsMissing(t *testing.T) {
	var r loadRun
	err := r.fromOutputs(map[string]string{"ecs_cluster": "c", "loadgen_task_definition": "", "loadgen_bucket": ""})
	if err == nil || !strings.Contains(err.Error(), "loadgen_enabled=true") {
		t.Errorf("fromOutputs: %v, want it to name loadgen_enabled=true", err)
	}
	err = r.fromOutputs(map[string]string{"ecs_cluster": "c", "loadgen_task_definition": "td", "loadgen_bucket": "b",
		"loadgen_container": "loadtest", "loadgen_subnets": "s1,s2", "loadgen_security_group": "sg", "endpoint": "http://lb"})
	if err != nil || !slices.Equal(r.Subnets, []string{"s1", "s2"}) || r.Endpoint != "http://lb" {
		t.Errorf("fromOutputs: %v, subnets %v endpoint %s", err, r.Subnets, r.Endpoint)
	}
}

// TestSDKStaysInDeploy: the AWS SDK is linked into deploy alone, never into the server or
// loadtest (the shards PUT to presigned URLs with net/http).
func TestSDKStaysInDeploy(t *testing.T) {
	for _, pkg := range []string{"../taskoverflow", "../loadtest"} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "github.com/aws/") {
				t.Errorf("%s links %s", pkg, dep)
			}
		}
	}
}

// TestLoadtestInterrupted: an interrupt while the shards run stops them: no task goes on
// loading the service with no one left to judge it.
func TestLoadtestInterrupted(t *testing.T) {
	f := newFakeFleet(t, map[int]string{0: "hang", 1: "hang"})
	r := fakeRun(t, f, 2)
	ctx, cancel := context.WithCancel(context.Background())
	sleep := r.Sleep
	r.Sleep = func(c context.Context, d time.Duration) error { cancel(); return sleep(c, d) }
	err := r.run(ctx, f, io.Discard, io.Discard)
	if !errors.Is(err, context.Canceled) || exitOf(err) != 1 {
		t.Errorf("run: %v, want an interruption (exit 1)", err)
	}
	if len(f.stopped) != 2 {
		t.Errorf("stopped %v, want both running tasks", f.stopped)
	}
}
