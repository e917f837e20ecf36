package lab

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/lab/cpulimit"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

// The handouts and reference solutions of the plan exercises, each a Go
// plan on loadtests.Main in plans/NAME/handout and plans/NAME/solution;
// exercises/NAME/main.go, the file a student edits, starts as the handout.
//
//go:embed plans/*/handout/main.go plans/*/solution/main.go
var planFiles embed.FS

// modulePath is this module's import path; the lab builds its own plans
// (the handouts) by it.
const modulePath = "github.com/taskoverflow-lab/taskoverflow"

// PlanExercise is an exercise whose fix is in a load plan: the student
// edits exercises/NAME/main.go, a Go plan on loadtests.Main, and lab verify
// builds it, runs it as a child process against the lab's API beside the
// handout's plan, and judges the two runs.
type PlanExercise struct {
	Name string
	// Source names the document that tells of the problem, Story says in
	// one line what is wrong with the handout's plan.
	Source, Story string
	// API is the service both plans run against.
	API Setup
	// Healthy, when set, is a second service the student's plan also runs
	// against: one where its checks pass (no-thresholds: the thresholds
	// must not fail on a healthy API).
	Healthy *Setup
	// PlanCPU, when set, holds the plan's process (the load generator) to
	// part of the machine, as a small CI runner or laptop.
	PlanCPU *cpulimit.Limit
	// Flags and QuickFlags are the plan's flags besides --endpoint and
	// --out: time and VU scaling, the request timeout.
	Flags, QuickFlags []string
	// Judge returns the checks of the runs.
	Judge func(p *PlanRuns) []Check
	// Hints gives, by check name, what to look at when it fails.
	Hints map[string]string
}

// PlanRun is one run of a plan's process against one API setup.
type PlanRun struct {
	*SetupRun
	// Exit is the plan's exit code: 0, 99 for a crossed threshold (see
	// loadtests.Main).
	Exit int `json:"exit,omitempty"`
	// Output is the plan's stdout and stderr, the summary text with them.
	Output string `json:"output,omitempty"`
	// PlanCPU says how the plan's process was held, as applied.
	PlanCPU string `json:"plan_cpu,omitempty"`
}

// PlanRuns are the runs lab verify made: the handout's plan and the
// student's against API, and the student's against Healthy when the
// exercise has it.
type PlanRuns struct {
	Handout, Yours, YoursHealthy *PlanRun
	// TimeScale is the runs' --time-scale, 1 when not given.
	TimeScale float64
}

// PlanExercises returns every exercise whose fix is in a load plan.
func PlanExercises() []PlanExercise {
	return []PlanExercise{plannersPlanExercise(), generatorBottleneck(), noThresholds()}
}

// LookupPlanExercise returns the plan exercise called name.
func LookupPlanExercise(name string) (PlanExercise, bool) {
	for _, e := range PlanExercises() {
		if e.Name == name {
			return e, true
		}
	}
	return PlanExercise{}, false
}

// PlanExerciseNames returns every plan exercise's name.
func PlanExerciseNames() []string {
	var out []string
	for _, e := range PlanExercises() {
		out = append(out, e.Name)
	}
	return out
}

// Dir is where the student's plan lives in the repository.
func (e PlanExercise) Dir() string { return "exercises/" + e.Name }

// Handout returns the handout's plan, main.go as exercises/NAME starts.
func (e PlanExercise) Handout() []byte {
	b, _ := planFiles.ReadFile("plans/" + e.Name + "/handout/main.go")
	return b
}

// Solution returns the reference solution's main.go.
func (e PlanExercise) Solution() []byte {
	b, _ := planFiles.ReadFile("plans/" + e.Name + "/solution/main.go")
	return b
}

// SolutionPackage is the reference solution's package, for go build.
func (e PlanExercise) SolutionPackage() string {
	return modulePath + "/lab/plans/" + e.Name + "/solution"
}

func (e PlanExercise) handoutPackage() string {
	return modulePath + "/lab/plans/" + e.Name + "/handout"
}

// BuildError is a plan that does not compile: Output is the compiler's.
type BuildError struct {
	Dir    string
	Output string
}

func (e *BuildError) Error() string {
	return fmt.Sprintf("your plan in %s does not build (go build):\n%s", e.Dir, strings.TrimRight(e.Output, "\n"))
}

// BuildPlan compiles the Go plan in pkg (a directory or an import path)
// into dir and returns the binary's path. A plan that does not compile is
// a *BuildError with the compiler's output.
func BuildPlan(ctx context.Context, pkg, dir, name string) (string, error) {
	bin := filepath.Join(dir, name)
	if filepath.Separator == '\\' {
		bin += ".exe"
	}
	target := pkg
	if fi, err := os.Stat(pkg); err == nil && fi.IsDir() {
		abs, err := filepath.Abs(pkg)
		if err != nil {
			return "", err
		}
		target = abs
	} else if !strings.HasPrefix(pkg, modulePath) {
		return "", fmt.Errorf("no plan directory %s", pkg)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	if target == pkg {
		cmd = exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
	} else {
		cmd.Dir = target
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", &BuildError{Dir: pkg, Output: string(out)}
		}
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
	}
	return bin, nil
}

// buildHandout returns e's handout plan built: from a cache kept under the
// temporary directory, keyed by this program's own executable (which
// embeds the handouts and holds the load engine they link), or built into
// dir when the cache has none or cannot be written.
func buildHandout(ctx context.Context, e PlanExercise, dir string) (string, error) {
	cache := ""
	if exe, err := os.Executable(); err == nil {
		if f, err := os.Open(exe); err == nil {
			h := sha256.New()
			_, err = io.Copy(h, f)
			f.Close()
			if err == nil {
				cache = filepath.Join(os.TempDir(), "taskoverflow-lab-plans", fmt.Sprintf("%x", h.Sum(nil))[:16])
			}
		}
	}
	if cache == "" {
		return BuildPlan(ctx, e.handoutPackage(), dir, "handout")
	}
	name := e.Name
	if filepath.Separator == '\\' {
		name += ".exe"
	}
	if _, err := os.Stat(filepath.Join(cache, name)); err == nil {
		return filepath.Join(cache, name), nil
	}
	bin, err := BuildPlan(ctx, e.handoutPackage(), dir, "handout")
	if err != nil {
		return "", err
	}
	// Into the cache by rename, so that a reader never sees half a binary.
	// Caches of other builds of the lab, untouched for a day, go.
	olds, _ := filepath.Glob(filepath.Join(filepath.Dir(cache), "*"))
	for _, old := range olds {
		if fi, err := os.Stat(old); err == nil && old != cache && time.Since(fi.ModTime()) > 24*time.Hour {
			os.RemoveAll(old)
		}
	}
	if os.MkdirAll(cache, 0o755) == nil {
		tmp := filepath.Join(cache, fmt.Sprintf(".%s-%d", name, os.Getpid()))
		if copyFile(bin, tmp) == nil && os.Rename(tmp, filepath.Join(cache, name)) == nil {
			return filepath.Join(cache, name), nil
		}
		os.Remove(tmp)
	}
	return bin, nil
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o755)
}

// VerifyPlan builds the handout's plan and the student's in planDir, runs
// each as a child process against a fresh API of e's setup (and the
// student's against the healthy one, when e has it), and judges the runs.
func (r *Runner) VerifyPlan(ctx context.Context, e PlanExercise, planDir string) (*Verification, error) {
	tmp, err := os.MkdirTemp("", "lab-plan-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	r.printf("%s: %s\n", e.Name, e.Story)
	// The two builds side by side: linking is most of their time. A kept
	// handout's run needs no handout's plan.
	var handout, yours string
	var herr, yerr error
	var wg sync.WaitGroup
	if r.hasKeptRun(e.Name) {
		r.printf("  building your plan (%s)\n", planDir)
	} else {
		r.printf("  building the handout's plan and yours (%s)\n", planDir)
		wg.Go(func() { handout, herr = buildHandout(ctx, e, tmp) })
	}
	wg.Go(func() { yours, yerr = BuildPlan(ctx, planDir, tmp, "yours") })
	wg.Wait()
	if yerr != nil {
		return nil, yerr
	}
	if herr != nil {
		return nil, fmt.Errorf("the handout's plan: %w", herr)
	}
	flags := e.Flags
	if r.Quick && e.QuickFlags != nil {
		flags = e.QuickFlags
	}
	runs := &PlanRuns{TimeScale: flagValue(flags, "--time-scale", 1)}
	withPlan := func(label, bin string, s Setup) Setup {
		s.Workload = &planProcess{Binary: bin, Flags: flags, CPU: e.PlanCPU, Out: filepath.Join(tmp, label+".json")}
		return s
	}
	run := func(label, bin string, s Setup) (*PlanRun, error) {
		s = withPlan(label, bin, s)
		p := s.Workload.(*planProcess)
		sr, err := r.runSetup(ctx, e.Name, label, s, "")
		if err != nil {
			return nil, fmt.Errorf("%s, %s run: %w", e.Name, label, err)
		}
		r.printf("  %s: the plan exited %d\n", label, p.exit)
		return &PlanRun{SetupRun: sr, Exit: p.exit, Output: p.output, PlanCPU: p.applied}, nil
	}
	runs.Handout, err = r.brokenRun(e.Name, "handout", withPlan("handout", handout, e.API), func() (*PlanRun, error) {
		if handout == "" { // the kept run went before it was read
			if handout, herr = buildHandout(ctx, e, tmp); herr != nil {
				return nil, fmt.Errorf("the handout's plan: %w", herr)
			}
		}
		return run("handout", handout, e.API)
	})
	if err != nil {
		return nil, err
	}
	if runs.Yours, err = run("yours", yours, e.API); err != nil {
		return nil, err
	}
	// The healthy run tells a threshold that judges from one that always
	// fails; a plan that passed against the failing API has neither.
	if e.Healthy != nil && runs.Yours.Exit != 0 {
		if runs.YoursHealthy, err = run("yours-healthy", yours, *e.Healthy); err != nil {
			return nil, err
		}
	}
	v := JudgePlan(e, planDir, runs)
	r.forgetKeptRun(e.Name, "handout", v)
	return v, nil
}

// JudgePlan judges runs by e's rules, each failed one with its hint.
func JudgePlan(e PlanExercise, planDir string, runs *PlanRuns) *Verification {
	v := &Verification{Case: e.Name, Plan: planDir}
	for _, ch := range e.Judge(runs) {
		// A check's own hint that starts with "; " adds to the exercise's.
		if h := e.Hints[ch.Name]; !ch.Pass && h != "" && (ch.Hint == "" || strings.HasPrefix(ch.Hint, "; ")) {
			ch.Hint = h + ch.Hint
		}
		ch.incident = ch.Run == "handout"
		v.Checks = append(v.Checks, ch)
		if ch.Pass {
			v.Passed++
		} else {
			v.Failed++
		}
	}
	return v
}

// planProcess is a load that runs a built plan as a child process, as a
// student runs it: go run ./exercises/NAME --endpoint URL. It keeps the
// exit code and output of its last run.
type planProcess struct {
	Binary string
	Flags  []string
	CPU    *cpulimit.Limit
	// Out is where the plan writes its summary (--out).
	Out string

	exit    int
	output  string
	applied string
}

func (p *planProcess) String() string {
	s := "the plan's process " + strings.Join(p.Flags, " ")
	if p.CPU != nil {
		s += ", its CPU held to " + p.CPU.String()
	}
	return s
}

// planGrace is how long a plan may run past what its flags make it last
// before it is stopped: a plan must end on its own.
const planGrace = 5 * time.Minute

func (p *planProcess) run(ctx context.Context, urls []string, progress io.Writer, label string) (outcome, error) {
	os.Remove(p.Out)
	ctx, cancel := context.WithTimeout(ctx, planGrace)
	defer cancel()
	args := append([]string{"--endpoint", urls[0], "--out", p.Out, "--quiet"}, p.Flags...)
	cmd := exec.CommandContext(ctx, p.Binary, args...)
	// A stopped plan gets SIGINT first, and prints its summary.
	cmd.Cancel = func() error { return interrupt(cmd.Process) }
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	applied, release, err := p.CPU.Prepare(cmd)
	if err != nil {
		return outcome{}, err
	}
	p.applied = applied
	defer release()
	if p.CPU != nil && progress != nil {
		fmt.Fprintf(progress, "  %s: the plan's CPU: %s\n", label, applied)
	}
	err = cmd.Run()
	p.output = out.String()
	p.exit = 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		p.exit = ee.ExitCode()
	case err != nil:
		return outcome{}, fmt.Errorf("run the plan: %w", err)
	}
	s, rerr := metrics.ReadFile(p.Out)
	if rerr != nil {
		return outcome{}, fmt.Errorf("the plan exited %d without a summary: %v\n%s", p.exit, rerr, tail(p.output, 20))
	}
	return outcome{summary: s}, nil
}

// flagValue returns the number after name in flags, or def.
func flagValue(flags []string, name string, def float64) float64 {
	for i, f := range flags {
		if f == name && i+1 < len(flags) {
			if v, err := strconv.ParseFloat(flags[i+1], 64); err == nil {
				return v
			}
		}
	}
	return def
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Checks the plan exercises share.

// pct returns n as a percentage of of, 0 when of is 0.
func pct(n, of float64) float64 {
	if of == 0 {
		return 0
	}
	return 100 * n / of
}

func boolFigure(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// scenarioShape describes a run's scenarios as the summary lists them:
// name, executor, its stages or rate and its VUs.
func scenarioShape(r *PlanRun) []string {
	if r == nil || r.Summary == nil {
		return nil
	}
	var out []string
	for _, s := range r.Summary.Scenarios {
		out = append(out, fmt.Sprintf("%s: %s, %s, max %d VUs", s.Name, s.Executor, s.Description, s.MaxVUs))
	}
	slices.Sort(out)
	return out
}

// sameScenarios fails when yours's scenarios differ from the handout's.
func sameScenarios(handout, yours *PlanRun) Check {
	h, y := scenarioShape(handout), scenarioShape(yours)
	var diff []string
	for _, s := range y {
		if !slices.Contains(h, s) {
			diff = append(diff, "yours has "+s)
		}
	}
	for _, s := range h {
		if !slices.Contains(y, s) {
			diff = append(diff, "the handout's has "+s)
		}
	}
	ch := Check{Run: "yours", Name: "scenarios changed from the handout's", Measured: float64(len(diff)),
		Rule: "yours = 0 (the same executors, stages and VUs)", Pass: len(diff) == 0 && len(y) > 0}
	if !ch.Pass {
		ch.Hint = "the load is the exercise's: put the scenarios back as the handout has them (" + strings.Join(diff, "; ") + ")"
	}
	return ch
}

// planLoadChecks are loadChecks on plan runs: requests against the
// handout's run, VUs, dropped iterations, the generator.
func planLoadChecks(handout, yours *PlanRun) []Check {
	checks := loadChecks(handout.SetupRun, yours.SetupRun, nil)
	for i := range checks {
		checks[i].Name = strings.Replace(checks[i].Name, "the shipped broken run's", "the handout's run", 1)
	}
	return checks
}

// exitCheck judges a plan's exit code; r nil is a run not made.
func exitCheck(run, name string, r *PlanRun, want int, hint string) Check {
	if r == nil {
		return Check{Run: run, Name: name, Measured: -1, Rule: fmt.Sprintf("%s = %d", run, want),
			Hint: "not run: your plan does not fail against the failing API yet, so it cannot tell it from a healthy one"}
	}
	ch := Check{Run: run, Name: name, Measured: float64(r.Exit), Rule: fmt.Sprintf("%s = %d", run, want), Pass: r.Exit == want}
	if !ch.Pass {
		ch.Hint = hint
		if crossed := crossedThresholds(r); r.Exit == 99 && crossed != "" {
			if hint == "" {
				ch.Hint = "; "
			} else {
				ch.Hint += "; "
			}
			ch.Hint += "crossed: " + crossed
		}
		if r.Exit != 0 && r.Exit != 99 {
			if hint == "" {
				ch.Hint = "; it exited with neither 0 nor 99"
			}
			ch.Hint += "; the plan's last lines:\n" + tail(r.Output, 8)
		}
	}
	return ch
}

// crossedThresholds lists r's thresholds that failed, with the figure each saw.
func crossedThresholds(r *PlanRun) string {
	if r.Summary == nil {
		return ""
	}
	var out []string
	for _, t := range r.Summary.Thresholds {
		if !t.OK {
			s := fmt.Sprintf("%s (saw %s)", t.Expr, cli.FormatNumber(t.Observed))
			if t.Reason != "" {
				s = fmt.Sprintf("%s (%s)", t.Expr, t.Reason)
			}
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}

// interrupt asks a plan to stop as Ctrl-C does; where a process cannot
// be sent SIGINT (Windows), it is killed.
func interrupt(p *os.Process) error {
	if err := p.Signal(os.Interrupt); err != nil {
		return p.Kill()
	}
	return nil
}
