package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/loadtests"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/report"
)

// fleet is what deploy loadtest asks of AWS: ECS to start and watch one task per shard, S3 to
// presign each shard's upload and to read the summaries back. awsFleet implements it with
// aws-sdk-go-v2; the tests with a fake.
type fleet interface {
	// RunTask starts one task (never count > 1: RunTask's count shares one set of overrides,
	// and every shard needs its own index) and returns its ARN.
	RunTask(ctx context.Context, t taskSpec) (arn string, err error)
	// DescribeTasks returns the state of the tasks, in any order.
	DescribeTasks(ctx context.Context, cluster string, arns []string) ([]taskState, error)
	// StopTask stops a task that outlived the timeout.
	StopTask(ctx context.Context, cluster, arn, reason string) error
	// PresignPut returns a URL that PUTs bucket/key without credentials until ttl passes.
	PresignPut(ctx context.Context, bucket, key string, ttl time.Duration) (string, error)
	// GetObject returns an object's bytes, or an error wrapping errNoObject when it is absent.
	GetObject(ctx context.Context, bucket, key string) ([]byte, error)
	// PutObject stores an object.
	PutObject(ctx context.Context, bucket, key, contentType string, body []byte) error
}

// errNoObject: the object does not exist (a shard that wrote nothing).
var errNoObject = errors.New("no such object")

// taskSpec is one shard's RunTask.
type taskSpec struct {
	Cluster, TaskDefinition, Container string
	Subnets, SecurityGroups            []string
	Env                                map[string]string // the container's overrides
	Command                            []string
	StartedBy                          string
}

// taskState is what DescribeTasks says of one task.
type taskState struct {
	ARN, LastStatus, StopCode, StoppedReason string
	// ExitCode is the load-generator container's exit code, nil while it runs or when it
	// never started.
	ExitCode *int
}

// loadRun is one deploy loadtest, with everything it needs from terraform's outputs.
type loadRun struct {
	Shards   int
	Scenario string
	RunArgs  []string // passed to loadtest run after the scenario
	RunID    string
	Endpoint string

	Cluster, TaskDefinition, Container, Bucket string
	Subnets, SecurityGroups                    []string

	StartDelay   time.Duration // the shared --start-at is this long after the run begins
	Timeout      time.Duration // bound on the wait for the tasks to stop
	PollInterval time.Duration
	ReportDir    string // local directory of the merged summary and report

	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Exit codes of deploy loadtest beyond 0, 1 and 2: the merged run's verdict.
const (
	exitThreshold  = loadtests.ExitThreshold
	exitIncomplete = loadtests.ExitIncomplete
)

// exitError ends deploy with a given code after its message.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// key is where shard i's summary is kept in the bucket.
func (r *loadRun) key(name string) string { return "runs/" + r.RunID + "/" + name }

// newRunID returns a run id that sorts by time and does not collide: 20261201T203000Z-1a2b3c.
func newRunID(now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// shardCommand is shard i's loadtest command line (the image's entrypoint is /loadtest).
func (r *loadRun) shardCommand(startAt time.Time, url string) []string {
	cmd := append([]string{"run", r.Scenario}, r.RunArgs...)
	if !slices.ContainsFunc(r.RunArgs, func(a string) bool { return a == "--endpoint" || strings.HasPrefix(a, "--endpoint=") }) {
		cmd = append(cmd, "--endpoint", r.Endpoint)
	}
	return append(cmd, "--quiet", "--run-id", r.RunID, "--start-at", startAt.UTC().Format(time.RFC3339), "--out", url)
}

// run starts the shards, waits for them, merges their summaries and judges the whole run. It
// returns nil when every threshold held, an exitError with code 99 when one was crossed, 4
// when the run is incomplete (a task failed or did not stop in time, or a summary is missing),
// and another error when AWS refused a step.
func (r *loadRun) run(ctx context.Context, f fleet, stdout, stderr io.Writer) error {
	// Every shard starts at one moment, after the last RunTask: Fargate takes a minute or
	// more to pull and start a task, so the delay covers that (--start-delay).
	startAt := r.Now().Add(r.StartDelay).Truncate(time.Second).Add(time.Second)
	ttl := r.StartDelay + r.Timeout + 10*time.Minute
	fmt.Fprintf(stdout, "==> run %s: %d shards of %s, starting together at %s\n", r.RunID, r.Shards, r.Scenario, startAt.UTC().Format(time.RFC3339))
	arns := make([]string, r.Shards)
	for i := range r.Shards {
		url, err := f.PresignPut(ctx, r.Bucket, r.key(fmt.Sprintf("shard-%d.json", i)), ttl)
		if err != nil {
			return r.abandon(ctx, f, arns, fmt.Errorf("presign shard %d's upload: %w", i, err))
		}
		arn, err := f.RunTask(ctx, taskSpec{
			Cluster: r.Cluster, TaskDefinition: r.TaskDefinition, Container: r.Container,
			Subnets: r.Subnets, SecurityGroups: r.SecurityGroups,
			Env:       map[string]string{"SHARD_INDEX": strconv.Itoa(i), "SHARD_COUNT": strconv.Itoa(r.Shards)},
			Command:   r.shardCommand(startAt, url),
			StartedBy: "deploy-loadtest",
		})
		if err != nil {
			return r.abandon(ctx, f, arns, fmt.Errorf("start shard %d: %w", i, err))
		}
		arns[i] = arn
		fmt.Fprintf(stdout, "    shard %d/%d: task %s\n", i, r.Shards, arn)
	}
	if now := r.Now(); !now.Before(startAt) {
		fmt.Fprintf(stderr, "deploy loadtest: starting the tasks took past the shared start (%s): the shards start late, at once; raise --start-delay\n", now.Sub(startAt).Round(time.Second))
	}

	states, waitErr := r.wait(ctx, f, arns, stdout)
	var failed []string
	for i, arn := range arns {
		st, ok := states[arn]
		switch {
		case !ok || st.LastStatus != "STOPPED":
			failed = append(failed, fmt.Sprintf("shard %d (task %s) did not stop in time and was stopped", i, arn))
		case st.ExitCode == nil:
			failed = append(failed, fmt.Sprintf("shard %d (task %s) never ran loadtest: %s %s", i, arn, st.StopCode, st.StoppedReason))
		case *st.ExitCode != 0:
			failed = append(failed, fmt.Sprintf("shard %d (task %s) exited %d (%s); its log is in the load generator's log group", i, arn, *st.ExitCode, st.StoppedReason))
		}
	}
	if waitErr != nil && !errors.Is(waitErr, context.DeadlineExceeded) {
		return waitErr
	}
	if len(failed) > 0 {
		for _, f := range failed {
			fmt.Fprintf(stderr, "deploy loadtest: %s\n", f)
		}
		return exitError{exitIncomplete, fmt.Sprintf("run %s incomplete: %d of %d shards failed; no verdict", r.RunID, len(failed), r.Shards)}
	}
	return r.merge(ctx, f, stdout, stderr)
}

// abandon stops the tasks already started when a later shard cannot start: a partial run
// would only load the service and give no verdict.
func (r *loadRun) abandon(ctx context.Context, f fleet, arns []string, err error) error {
	for _, arn := range arns {
		if arn != "" {
			if serr := f.StopTask(context.WithoutCancel(ctx), r.Cluster, arn, "deploy loadtest: another shard could not start"); serr != nil {
				err = fmt.Errorf("%w; stop task %s: %v", err, arn, serr)
			}
		}
	}
	return err
}

// wait polls the tasks until every one has stopped, printing a line when the count of
// running ones changes, and stops those still running after Timeout or when ctx is cancelled.
// It returns the last state of each task, and context.DeadlineExceeded after a timeout.
func (r *loadRun) wait(ctx context.Context, f fleet, arns []string, stdout io.Writer) (map[string]taskState, error) {
	deadline := r.Now().Add(r.StartDelay + r.Timeout)
	states := map[string]taskState{}
	last := ""
	for {
		got, err := f.DescribeTasks(ctx, r.Cluster, arns)
		if err != nil {
			return states, fmt.Errorf("describe tasks: %w", err)
		}
		counts := map[string]int{}
		for _, st := range got {
			states[st.ARN] = st
			counts[st.LastStatus]++
		}
		line := progressLine(counts, len(arns))
		if line != last {
			fmt.Fprintf(stdout, "    %s %s\n", r.Now().UTC().Format("15:04:05"), line)
			last = line
		}
		if counts["STOPPED"] == len(arns) {
			return states, nil
		}
		stopRunning := func(reason string) {
			for _, arn := range arns {
				if states[arn].LastStatus != "STOPPED" {
					_ = f.StopTask(context.WithoutCancel(ctx), r.Cluster, arn, reason)
				}
			}
		}
		if !r.Now().Before(deadline) {
			stopRunning("deploy loadtest: past --timeout")
			return states, fmt.Errorf("tasks still running after %s: %w", r.StartDelay+r.Timeout, context.DeadlineExceeded)
		}
		if err := r.Sleep(ctx, r.PollInterval); err != nil {
			// Interrupted: the tasks would go on loading the service with no one to judge.
			stopRunning("deploy loadtest: interrupted")
			return states, fmt.Errorf("interrupted; the tasks still running were stopped: %w", err)
		}
	}
}

// progressLine says how many tasks are in each state, in ECS's order.
func progressLine(counts map[string]int, n int) string {
	var parts []string
	for _, s := range []string{"PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], strings.ToLower(s)))
		}
	}
	if len(parts) == 0 {
		return fmt.Sprintf("%d tasks, no state yet", n)
	}
	return strings.Join(parts, ", ")
}

// merge reads every shard's summary, checks they are the whole run, merges them exactly,
// judges the thresholds once and writes the merged summary and report, locally and to the
// bucket.
func (r *loadRun) merge(ctx context.Context, f fleet, stdout, stderr io.Writer) error {
	fmt.Fprintf(stdout, "==> merge %d summaries from s3://%s/%s\n", r.Shards, r.Bucket, r.key(""))
	var all []*metrics.Summary
	var names, missing []string
	for i := range r.Shards {
		key := r.key(fmt.Sprintf("shard-%d.json", i))
		b, err := f.GetObject(ctx, r.Bucket, key)
		if errors.Is(err, errNoObject) {
			missing = append(missing, "s3://"+r.Bucket+"/"+key)
			continue
		}
		if err != nil {
			return fmt.Errorf("get s3://%s/%s: %w", r.Bucket, key, err)
		}
		s, err := metrics.Read(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("s3://%s/%s: %w", r.Bucket, key, err)
		}
		all = append(all, s)
		names = append(names, "s3://"+r.Bucket+"/"+key)
	}
	if len(missing) > 0 {
		return exitError{exitIncomplete, fmt.Sprintf("run %s incomplete: no summary at %s; no verdict", r.RunID, strings.Join(missing, ", "))}
	}
	set, _, err := loadtests.CheckShards(all, names)
	if err != nil {
		return exitError{exitIncomplete, fmt.Sprintf("incomplete: %v; no verdict", err)}
	}
	fmt.Fprintf(stderr, "deploy loadtest: run %q complete: %d shards cover %s exactly once; start skew %s\n",
		set.RunID, len(all), set.Sequence, set.Skew.Round(time.Millisecond))
	if set.Skew > loadtests.ClockSkewBound {
		fmt.Fprintf(stderr, "deploy loadtest: the skew is above %s: the shards did not start together (a task started after --start-at?)\n", loadtests.ClockSkewBound)
	}
	m, err := metrics.Merge(all...)
	if err != nil {
		return err
	}
	ts, err := metrics.ParseThresholds(set.Thresholds)
	if err != nil {
		return err
	}
	m.Thresholds, _ = metrics.EvaluateAll(m, ts)
	if err := report.Text(stdout, m); err != nil {
		return err
	}

	if err := os.MkdirAll(r.ReportDir, 0o755); err != nil {
		return err
	}
	summaryPath, htmlPath := filepath.Join(r.ReportDir, "merged.json"), filepath.Join(r.ReportDir, "report.html")
	if err := m.WriteFile(summaryPath); err != nil {
		return err
	}
	if err := report.WriteHTMLFile(htmlPath, m); err != nil {
		return err
	}
	for _, up := range []struct{ path, name, typ string }{
		{summaryPath, "merged.json", "application/json"},
		{htmlPath, "report.html", "text/html; charset=utf-8"},
	} {
		b, err := os.ReadFile(up.path)
		if err != nil {
			return err
		}
		if err := f.PutObject(ctx, r.Bucket, r.key(up.name), up.typ, b); err != nil {
			return fmt.Errorf("put s3://%s/%s: %w", r.Bucket, r.key(up.name), err)
		}
	}
	fmt.Fprintf(stdout, "report: %s (and s3://%s/%s); merged summary: %s\n", htmlPath, r.Bucket, r.key("report.html"), summaryPath)
	if code := loadtests.Verdict(m, "deploy loadtest", stderr); code != 0 {
		return exitError{code, fmt.Sprintf("run %s: a threshold was crossed on the whole run", r.RunID)}
	}
	return nil
}

// runLoadtest implements "deploy loadtest": it reads the run's settings from the command line
// and the load generator's resources from terraform's outputs, then runs the shards.
func runLoadtest(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	o := options{Environ: environ}
	r := loadRun{Now: time.Now, Sleep: sleepCtx}
	fs := flag.NewFlagSet("deploy loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: deploy loadtest --shards N --scenario NAME [flags] [-- loadtest run flags such as --time-scale 0.05]")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.Dir, "dir", "terraform", "directory of the Terraform configuration (applied with -var loadgen_enabled=true)")
	fs.StringVar(&o.CredentialsFile, "credentials", "", "AWS credentials file (default: AWS_* variables, AWS_SHARED_CREDENTIALS_FILE, ./credentials, ~/.aws/credentials)")
	fs.IntVar(&r.Shards, "shards", 0, "number of shards: one ECS task each")
	fs.StringVar(&r.Scenario, "scenario", "", "bundled scenario to run (loadtest list)")
	fs.StringVar(&r.RunID, "run-id", "", "run id (default: the time and a random suffix); the summaries go to s3://<bucket>/runs/<id>/")
	fs.StringVar(&r.Endpoint, "endpoint", "", "base URL the shards load (default: the endpoint output, the load balancer)")
	fs.DurationVar(&r.StartDelay, "start-delay", 2*time.Minute, "how long after deploy starts the shards' shared --start-at is: time for Fargate to pull the image and start every task")
	fs.DurationVar(&r.Timeout, "timeout", 30*time.Minute, "how long after the shared start the tasks may run before they are stopped (the run is then incomplete)")
	fs.DurationVar(&r.PollInterval, "poll", 10*time.Second, "pause between DescribeTasks calls")
	fs.StringVar(&r.ReportDir, "report-dir", "", "where the merged summary and report are written (default loadtest-runs/<run id>)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return usageError{err.Error()}
	}
	r.RunArgs = fs.Args()
	switch {
	case r.Shards < 1:
		return usageError{"deploy loadtest: --shards N: want at least 1"}
	case r.Scenario == "":
		return usageError{"deploy loadtest: --scenario: want a bundled scenario (loadtest list)"}
	case r.StartDelay < 0 || r.Timeout <= 0 || r.PollInterval <= 0:
		return usageError{"deploy loadtest: --start-delay must not be negative, --timeout and --poll must be above zero"}
	}
	for _, a := range r.RunArgs {
		for _, own := range []string{"--out", "--run-id", "--start-at", "--shard", "--segment", "--segment-sequence"} {
			if a == own || strings.HasPrefix(a, own+"=") {
				return usageError{fmt.Sprintf("deploy loadtest: %s is set by deploy loadtest for each shard", own)}
			}
		}
	}
	if r.RunID == "" {
		r.RunID = newRunID(r.Now())
	}
	if r.ReportDir == "" {
		r.ReportDir = filepath.Join("loadtest-runs", r.RunID)
	}

	d := newDriver(o, nil, stdout, stderr)
	var f fleet
	if err := d.step(ctx, "check", func() error { return d.check(ctx, need{aws: true}) }); err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	if err := d.step(ctx, "outputs", func() error {
		outs, err := d.outputs(ctx)
		if err != nil {
			return err
		}
		if err := r.fromOutputs(outs); err != nil {
			return err
		}
		credFile := ""
		for _, kv := range d.childEnv {
			if v, ok := strings.CutPrefix(kv, "AWS_SHARED_CREDENTIALS_FILE="); ok {
				credFile = v
			}
		}
		f, err = newAWSFleet(ctx, outs["region"], credFile)
		return err
	}); err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	return r.run(ctx, f, stdout, stderr)
}

// fromOutputs fills the load generator's resources from terraform's outputs, or says how to
// create them.
func (r *loadRun) fromOutputs(outs map[string]string) error {
	if outs["loadgen_task_definition"] == "" || outs["loadgen_bucket"] == "" {
		return errors.New("no load generator in the deployment: terraform apply with -var loadgen_enabled=true (deploy up -var loadgen_enabled=true), and push the image of docker build --target loadtest as <repository>:loadtest")
	}
	r.Cluster, r.TaskDefinition, r.Container, r.Bucket = outs["ecs_cluster"], outs["loadgen_task_definition"], outs["loadgen_container"], outs["loadgen_bucket"]
	r.Subnets = strings.Split(outs["loadgen_subnets"], ",")
	r.SecurityGroups = []string{outs["loadgen_security_group"]}
	if r.Endpoint == "" {
		r.Endpoint = outs["endpoint"]
	}
	for name, v := range map[string]string{"ecs_cluster": r.Cluster, "loadgen_container": r.Container, "loadgen_subnets": outs["loadgen_subnets"], "loadgen_security_group": outs["loadgen_security_group"], "endpoint": r.Endpoint} {
		if v == "" {
			return fmt.Errorf("terraform output %s is empty", name)
		}
	}
	return nil
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
