package cpulimit

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The limit holds from the child's first instruction: the process reads its
// own affinity and cgroup and finds them set.
func TestPrepareLimitsFromTheStart(t *testing.T) {
	if _, err := exec.LookPath("taskset"); err != nil && os.Getenv("CI") != "true" {
		t.Skip("taskset is not installed (Debian: util-linux) and CI is not set; CI runs this test")
	}
	cmd := exec.Command("sh", "-c", "grep Cpus_allowed_list /proc/self/status; cat /proc/self/cgroup")
	applied, release, err := (&Limit{CPUs: "0", Quota: 0.5}).Prepare(cmd)
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.CombinedOutput()
	release()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if !strings.Contains(applied, "taskset -c 0") || !strings.Contains(string(out), "Cpus_allowed_list:\t0\n") {
		t.Errorf("affinity: applied %q, the child saw\n%s", applied, out)
	}
	switch {
	case strings.Contains(applied, "not applied: CPU quota"):
		// No writable cpu controller (not root): said, not hidden.
		if os.Geteuid() == 0 && os.Getenv("CI") == "true" {
			t.Errorf("as root in CI: got %q, want the quota applied", applied)
		}
	case strings.Contains(applied, "cgroup"):
		if !strings.Contains(string(out), "taskoverflow-lab-") {
			t.Errorf("quota: applied %q, but the child's cgroups are\n%s", applied, out)
		}
		name := regexp.MustCompile(`taskoverflow-lab-\d+`).FindString(string(out))
		left, _ := filepath.Glob(filepath.Join(cgroupRoot, "*", name))
		if root, _ := filepath.Glob(filepath.Join(cgroupRoot, name)); name == "" || len(left)+len(root) != 0 {
			t.Errorf("release left cgroup %q behind: %v %v", name, left, root)
		}
	default:
		t.Errorf("applied %q says nothing of the quota", applied)
	}
}
