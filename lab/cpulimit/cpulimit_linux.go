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
	"syscall"
)

// cfsPeriod is the CFS period the lab's cgroups use, in microseconds.
const cfsPeriod = 100000

// cgroupRoot is where cgroup file systems are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// Prepare makes cmd start under l, before it runs a single instruction: it
// wraps the command with taskset -c for the affinity, and for the quota
// makes a cgroup of its own that the process is born in (cgroup v2, with
// SysProcAttr.UseCgroupFD) or joins before it execs the program (cgroup
// v1, through sh). It returns what it applied (for the output and the
// report) and a release function to call once the process has exited, which
// removes the cgroup. What cannot be done here (no taskset, no writable cpu
// controller) is said in applied, not failed on, unless nothing at all could
// be applied. Call Prepare before cmd.Start.
func (l *Limit) Prepare(cmd *exec.Cmd) (applied string, release func(), err error) {
	release = func() {}
	if l == nil {
		return "all CPUs", release, nil
	}
	var done, missing []string
	if l.CPUs != "" {
		if path, err := exec.LookPath("taskset"); err != nil {
			missing = append(missing, "taskset: "+err.Error())
		} else {
			wrap(cmd, path, "taskset", "-c", l.CPUs)
			done = append(done, "taskset -c "+l.CPUs)
		}
	}
	if l.Quota > 0 {
		desc, rel, err := quota(cmd, l.Quota)
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

// wrap makes cmd run path with args before its own program and arguments.
func wrap(cmd *exec.Cmd, path string, args ...string) {
	cmd.Args = append(append(args, cmd.Path), cmd.Args[1:]...)
	cmd.Path = path
}

// quota makes a cgroup limited to quota CPUs and has cmd start in it:
// cgroup v2's cpu.max when the unified hierarchy has the cpu controller,
// else cgroup v1's cpu.cfs_quota_us.
func quota(cmd *exec.Cmd, quota float64) (string, func(), error) {
	us := int(quota * cfsPeriod)
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
		dir, err := makeCgroup(v2, map[string]string{"cpu.max": fmt.Sprintf("%d %d", us, cfsPeriod)})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fd, err := syscall.Open(dir, syscall.O_DIRECTORY|syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			os.Remove(dir)
			errs = append(errs, err)
			continue
		}
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, fd
		release := func() { syscall.Close(fd); os.Remove(dir) }
		return fmt.Sprintf("cgroup v2 cpu.max %d/%d µs (%g CPU)", us, cfsPeriod, quota), release, nil
	}
	v1 := filepath.Join(cgroupRoot, "cpu")
	if _, err := os.Stat(filepath.Join(v1, "cpu.cfs_quota_us")); err != nil {
		errs = append(errs, fmt.Errorf("no cgroup v1 cpu controller at %s", v1))
		return "", nil, errors.Join(errs...)
	}
	dir, err := makeCgroup(v1, map[string]string{"cpu.cfs_period_us": strconv.Itoa(cfsPeriod), "cpu.cfs_quota_us": strconv.Itoa(us)})
	if err != nil {
		return "", nil, errors.Join(append(errs, err)...)
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		os.Remove(dir)
		return "", nil, errors.Join(append(errs, err)...)
	}
	// cgroup v1 has no clone into a cgroup: the shell moves itself in, then
	// becomes the program, so that no thread of it runs outside.
	wrap(cmd, sh, "sh", "-c", `echo $$ > "$0/cgroup.procs" && exec "$@"`, dir)
	return fmt.Sprintf("cgroup v1 cpu.cfs_quota_us %d/%d µs (%g CPU)", us, cfsPeriod, quota), func() { os.Remove(dir) }, nil
}

// makeCgroup makes a new cgroup under parent and writes settings into it.
// It returns the cgroup's directory, or an error naming what could not be
// written.
func makeCgroup(parent string, settings map[string]string) (string, error) {
	dir, err := os.MkdirTemp(parent, "taskoverflow-lab-")
	if err != nil {
		return "", err
	}
	// cfs_period_us first: a quota is checked against the current period.
	for _, k := range []string{"cpu.cfs_period_us", "cpu.cfs_quota_us", "cpu.max"} {
		v, ok := settings[k]
		if !ok {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, k), []byte(v), 0o644); err != nil {
			os.Remove(dir)
			return "", fmt.Errorf("write %s: %w", filepath.Join(dir, k), err)
		}
	}
	return dir, nil
}
