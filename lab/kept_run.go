package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
)

// A kept run is the shipped broken run of a case (the handout's run, for a
// plan exercise) that lab verify saved in Runner.BrokenRuns, so that later
// verifications on the same machine judge against it instead of making it
// again: a class's settings are all measured against the same figures, in
// half the time.

// keptRunFormat names the file's layout; a file of another layout is
// refused rather than misread.
const keptRunFormat = "taskoverflow-lab broken run 1"

// keptRun is a saved run, as JSON: what it was a run of, where and when,
// and the run itself (its setup is the case's, not written).
type keptRun struct {
	Format string `json:"format"`
	Case   string `json:"case"`
	Quick  bool   `json:"quick"`
	// Described is the run's setup as the progress describes it: a lab
	// whose setup has changed since does not reuse the run.
	Described string    `json:"setup"`
	Host      string    `json:"host"`
	Saved     time.Time `json:"saved"`
	// Run is a case's run (only its SetupRun) or a plan's.
	Run *PlanRun `json:"run"`
}

// KeptRunError is a kept broken run that lab verify refuses to judge
// against; deleting the file makes the run again.
type KeptRunError struct {
	Path, Reason string
}

func (e *KeptRunError) Error() string {
	return e.Path + ": " + e.Reason + " (delete it to make the broken run again)"
}

// keptRunPath is where the broken run of name is kept in dir: the quick
// and the full sizes apart.
func keptRunPath(dir, name string, quick bool) string {
	if quick {
		return filepath.Join(dir, name+".quick.json")
	}
	return filepath.Join(dir, name+".json")
}

// hasKeptRun reports whether r.BrokenRuns holds a file for name's broken
// run (which brokenRun may still refuse).
func (r *Runner) hasKeptRun(name string) bool {
	if r.BrokenRuns == "" {
		return false
	}
	_, err := os.Stat(keptRunPath(r.BrokenRuns, name, r.Quick))
	return err == nil
}

// brokenRun returns the broken run of name, whose setup is s: the one kept
// in r.BrokenRuns when an earlier verification saved it there, or a new
// one made by run (and saved there when r.BrokenRuns is set).
func (r *Runner) brokenRun(name, label string, s Setup, run func() (*PlanRun, error)) (*PlanRun, error) {
	if r.BrokenRuns == "" {
		return run()
	}
	path := keptRunPath(r.BrokenRuns, name, r.Quick)
	setup := strings.Join(s.Describe(), ", ")
	kept, err := loadKeptRun(path, name, r.Quick, setup)
	switch {
	case err == nil:
		r.printf("  %s: %s\n", label, setup)
		r.printf("  %s: reusing the run kept in %s, made %s ago on this machine\n", label, path,
			cli.FormatDuration(time.Since(kept.Saved).Round(time.Second)))
		return kept.planRun(s), nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	p, err := run()
	if err != nil {
		return nil, err
	}
	if err := saveKeptRun(path, name, r.Quick, setup, p); err != nil {
		return nil, fmt.Errorf("keeping the %s run: %w", label, err)
	}
	r.printf("  %s: kept in %s for the next verification\n", label, path)
	return p, nil
}

// forgetKeptRun removes the kept run of name when v failed a figure of
// that run alone (it did not show the incident): the next verification
// makes the run again instead of failing against the same figures. A
// symptom judged as a ratio to the student's run does not count.
func (r *Runner) forgetKeptRun(name, label string, v *Verification) {
	if r.BrokenRuns == "" {
		return
	}
	for _, ch := range v.Checks {
		if ch.incident && !ch.Pass {
			path := keptRunPath(r.BrokenRuns, name, r.Quick)
			if err := os.Remove(path); err == nil {
				r.printf("  %s: failed %q, so the run is no longer kept: the next verification makes it again\n", label, ch.Name)
			}
			return
		}
	}
}

// loadKeptRun reads the run kept at path, and refuses it unless it is a
// run of name at the same sizes and setup, made on this machine. A
// missing file is an error that wraps fs.ErrNotExist.
func loadKeptRun(path, name string, quick bool, setup string) (*keptRun, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	refuse := func(format string, args ...any) (*keptRun, error) {
		return nil, &KeptRunError{Path: path, Reason: fmt.Sprintf(format, args...)}
	}
	var k keptRun
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&k); err != nil {
		return refuse("not a broken run lab verify kept: %v", err)
	}
	host, _ := os.Hostname()
	sizes := func(q bool) string {
		if q {
			return "the quick sizes"
		}
		return "the full sizes"
	}
	switch {
	case k.Format != keptRunFormat:
		return refuse("format %q, want %q", k.Format, keptRunFormat)
	case k.Run == nil || k.Run.SetupRun == nil:
		return refuse("no run in it")
	case k.Case != name:
		return refuse("a run of %s, not of %s", k.Case, name)
	case k.Quick != quick:
		return refuse("a run at %s, this verification is at %s", sizes(k.Quick), sizes(quick))
	case k.Described != setup:
		return refuse("the broken run of another setup (%s); this lab's is %s", k.Described, setup)
	case k.Host != host:
		return refuse("made on %s, this is %s: a broken run judges only on the machine that made it", k.Host, host)
	}
	return &k, nil
}

// saveKeptRun writes p, the run of name with setup, to path, through a
// file beside it so that a reader never sees half a run.
func saveKeptRun(path, name string, quick bool, setup string, p *PlanRun) error {
	host, _ := os.Hostname()
	k := keptRun{Format: keptRunFormat, Case: name, Quick: quick, Described: setup, Host: host, Saved: time.Now(), Run: p}
	b, err := json.Marshal(k)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// planRun returns the kept run with s its setup, sized from the capacity
// the run measured as runSetup sizes it.
func (k *keptRun) planRun(s Setup) *PlanRun {
	if s.Calibrate != nil && k.Run.Capacity > 0 {
		s.Workload = s.Calibrate.Size(s.Workload, k.Run.Capacity)
	}
	k.Run.Setup = s
	return k.Run
}
