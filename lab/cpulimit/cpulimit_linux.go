//go:build linux

package cpulimit

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// cfsPeriod is the CFS period the lab's cgroups use, in microseconds.
const cfsPeriod = 100000

// cgroupRoot is where cgroup file systems are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// Apply pins every thread of pid to l.CPUs and puts the process in a new
// cgroup with l.Quota. It returns what it did (for the report) and a release
// function that removes the cgroup once the process is gone. What cannot be
// done here (no taskset, no writable cpu controller) is said in the
// description, not failed on, unless nothing at all could be applied.
func (l *Limit) Apply(pid int) (applied string, release func(), err error) {
	release = func() {}
	if l == nil {
		return "all CPUs", release, nil
	}
	var done, missing []string
	if l.CPUs != "" {
		out, err := exec.Command("taskset", "-a", "-p", "-c", l.CPUs, strconv.Itoa(pid)).CombinedOutput()
		if err != nil {
			missing = append(missing, fmt.Sprintf("taskset: %v %s", err, strings.TrimSpace(string(out))))
		} else {
			done = append(done, "taskset -c "+l.CPUs)
		}
	}
	if l.Quota > 0 {
		desc, rel, err := cpuQuota(pid, l.Quota)
		if err != nil {
			missing = append(missing, "CPU quota: "+err.Error())
		} else {
			done = append(done, desc)
			release = rel
		}
	}
	if len(done) == 0 {
		return "", release, fmt.Errorf("could not limit the API's CPU: %s", strings.Join(missing, "; "))
	}
	applied = strings.Join(done, " + ")
	if len(missing) > 0 {
		applied += " (not applied: " + strings.Join(missing, "; ") + ")"
	}
	return applied, release, nil
}

// cpuQuota puts pid in a new cgroup limited to quota CPUs: cgroup v2's
// cpu.max when the unified hierarchy has the cpu controller, else cgroup
// v1's cpu.cfs_quota_us.
func cpuQuota(pid int, quota float64) (string, func(), error) {
	us := int(quota * cfsPeriod)
	name := fmt.Sprintf("taskoverflow-lab-%d", pid)
	var errs []error
	for _, v2 := range []string{cgroupRoot, filepath.Join(cgroupRoot, "unified")} {
		ctl, err := os.ReadFile(filepath.Join(v2, "cgroup.controllers"))
		if err != nil {
			continue
		}
		if !strings.Contains(" "+strings.TrimSpace(string(ctl))+" ", " cpu ") {
			errs = append(errs, fmt.Errorf("cgroup v2 at %s has no cpu controller", v2))
			continue
		}
		// The parent must hand the cpu controller down to its children.
		os.WriteFile(filepath.Join(v2, "cgroup.subtree_control"), []byte("+cpu"), 0o644)
		dir := filepath.Join(v2, name)
		rel, err := joinCgroup(dir, v2, pid, map[string]string{"cpu.max": fmt.Sprintf("%d %d", us, cfsPeriod)})
		if err == nil {
			return fmt.Sprintf("cgroup v2 cpu.max %d/%d µs (%g CPU)", us, cfsPeriod, quota), rel, nil
		}
		errs = append(errs, err)
	}
	v1 := filepath.Join(cgroupRoot, "cpu")
	if _, err := os.Stat(filepath.Join(v1, "cpu.cfs_quota_us")); err == nil {
		dir := filepath.Join(v1, name)
		rel, err := joinCgroup(dir, v1, pid, map[string]string{
			"cpu.cfs_period_us": strconv.Itoa(cfsPeriod),
			"cpu.cfs_quota_us":  strconv.Itoa(us),
		})
		if err == nil {
			return fmt.Sprintf("cgroup v1 cpu.cfs_quota_us %d/%d µs (%g CPU)", us, cfsPeriod, quota), rel, nil
		}
		errs = append(errs, err)
	} else {
		errs = append(errs, fmt.Errorf("no cgroup v1 cpu controller at %s", v1))
	}
	return "", nil, errors.Join(errs...)
}

// joinCgroup makes dir, writes settings into it, and moves pid there. The
// release function moves pid back to parent if it still runs, and removes dir.
func joinCgroup(dir, parent string, pid int, settings map[string]string) (func(), error) {
	if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
		return nil, err
	}
	release := func() {
		os.WriteFile(filepath.Join(parent, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644)
		os.Remove(dir)
	}
	// cfs_period_us first: a quota is checked against the current period.
	for _, k := range []string{"cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.max"} {
		v, ok := settings[k]
		if !ok {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644); err != nil {
			release()
			return nil, fmt.Errorf("write %s: %w", filepath.Join(dir, k), err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		release()
		return nil, fmt.Errorf("move %d into %s: %w", pid, dir, err)
	}
	return release, nil
}
