package lab

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/taskoverflow-lab/taskoverflow/config"
)

// Exercise is what a student may do about a case: the settings that are
// theirs to change, the reference solution, and a hint per rule that can
// fail.
type Exercise struct {
	// Keys are the settings the student may change; changing any other
	// one fails verification.
	Keys []string
	// Solution is the reference solution's settings file, as a teacher
	// would write it.
	Solution map[string]string
	// Workload, when set, is the load of the student's run in place of the
	// broken run's: for a case whose fix also changes what the load asks
	// (a query), which is code, not a setting.
	Workload Workload
	// Hints gives, by rule name, what to look at when that rule fails.
	Hints map[string]string
	// Refused names the failures, as the summary counts them ("status
	// 503"), that are the incident itself and come back at once: a
	// closed-model user who is refused asks again at once, so the broken
	// run's refused requests are not load, and the load check leaves them
	// out of the count a student's run must reach.
	Refused []string
}

// Settings keys the lab applies to the API's process rather than its
// configuration: the Go runtime reads GOMAXPROCS; RLIMIT_NOFILE is the
// process's file descriptor limit (compose's `ulimits: nofile`, the shell's
// `ulimit -n`), which the server cannot set for itself.
const (
	KeyGOMAXPROCS = "GOMAXPROCS"
	KeyNoFile     = "RLIMIT_NOFILE"
)

// KnownKey reports whether a settings file may name key: a variable of
// package config or one of the process keys above.
func KnownKey(key string) bool {
	return key == KeyGOMAXPROCS || key == KeyNoFile || slices.Contains(config.Names(), key)
}

// SettingsError is a settings file that cannot be read: a malformed line
// or an unknown key, named by its line number.
type SettingsError struct {
	Line int
	Text string
	Why  string
}

func (e *SettingsError) Error() string {
	return fmt.Sprintf("line %d: %s: %q", e.Line, e.Why, e.Text)
}

// ParseSettings reads an env file in the format compose's env_file takes:
// KEY=value lines, blank lines and # comments. It is strict: a line
// without =, a key that is not KnownKey, a key given twice or a value in
// unbalanced quotes is a *SettingsError naming the line. Values may be
// quoted with ' or "; the quotes are removed.
func ParseSettings(r io.Reader) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			return nil, &SettingsError{n, raw, "not KEY=value"}
		}
		key = strings.TrimSpace(key)
		if key == "" || strings.ContainsAny(key, " \t") {
			return nil, &SettingsError{n, raw, "not KEY=value"}
		}
		if !KnownKey(key) {
			return nil, &SettingsError{n, raw, fmt.Sprintf("unknown setting %s (see `taskoverflow config`)", key)}
		}
		if _, dup := out[key]; dup {
			return nil, &SettingsError{n, raw, key + " is set twice"}
		}
		val = strings.TrimSpace(val)
		if len(val) > 0 && (val[0] == '"' || val[0] == '\'') {
			if len(val) < 2 || val[len(val)-1] != val[0] {
				return nil, &SettingsError{n, raw, "unbalanced quotes"}
			}
			val = val[1 : len(val)-1]
		}
		if key == KeyNoFile || key == KeyGOMAXPROCS {
			if v, err := strconv.ParseUint(val, 10, 64); err != nil || v == 0 {
				return nil, &SettingsError{n, raw, key + " must be a whole number above 0"}
			}
		}
		out[key] = val
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// BrokenSettings returns the settings of c's broken run, as a settings
// file holds them: the API's environment and, when the run limits it,
// RLIMIT_NOFILE.
func (c Case) BrokenSettings() map[string]string {
	s := maps.Clone(c.Broken.API)
	if s == nil {
		s = map[string]string{}
	}
	if c.Broken.NoFile > 0 {
		s[KeyNoFile] = strconv.FormatUint(c.Broken.NoFile, 10)
	}
	return s
}

// StudentSetup returns c's broken setup with settings in place of its
// environment: the same load, instances, CPU and database; the API's
// environment is BaseEnv with settings over it, and RLIMIT_NOFILE, when
// given, the process's fd limit (else the broken run's). The load is the
// exercise's Workload when it has one.
func (c Case) StudentSetup(settings map[string]string) Setup {
	s := c.Broken
	s.Summary = "your settings"
	if c.Exercise.Workload != nil {
		s.Workload = c.Exercise.Workload
	}
	s.API = map[string]string{}
	for k, v := range settings {
		if k == KeyNoFile {
			n, _ := strconv.ParseUint(v, 10, 64)
			s.NoFile = n
			continue
		}
		s.API[k] = v
	}
	return s
}

// effective returns every setting a run of settings has, over BaseEnv.
func effective(settings map[string]string) map[string]string {
	env := BaseEnv()
	maps.Copy(env, settings)
	return env
}

// ChangedKeys returns, sorted, the settings whose values differ between
// c's broken settings and settings (each over BaseEnv) that the exercise
// does not let the student change. Leaving out a key the broken settings
// set counts as changing it.
func (c Case) ChangedKeys(settings map[string]string) []string {
	broken, mine := effective(c.BrokenSettings()), effective(settings)
	keys := map[string]bool{}
	for k := range broken {
		keys[k] = true
	}
	for k := range mine {
		keys[k] = true
	}
	var out []string
	for k := range keys {
		if slices.Contains(c.Exercise.Keys, k) {
			continue
		}
		if broken[k] != mine[k] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// WriteSettings writes settings as an env file: a header of comment lines,
// then the keys the student may change (each with the server's
// description), then the others, which the exercise fixes.
func WriteSettings(w io.Writer, c Case, settings map[string]string, header string) error {
	desc := map[string]string{KeyGOMAXPROCS: "Go runtime: OS threads running Go code at once.",
		KeyNoFile: "The API process's file descriptor limit (compose: ulimits.nofile; shell: ulimit -n)."}
	for _, v := range config.Vars() {
		desc[v.Name] = v.Help
	}
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(header, "\n"), "\n") {
		b.WriteString("# " + l + "\n")
	}
	keys := slices.Sorted(maps.Keys(settings))
	mine := slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return !slices.Contains(c.Exercise.Keys, k) })
	others := slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return slices.Contains(c.Exercise.Keys, k) })
	if len(mine) > 0 {
		b.WriteString("\n# Yours to change (" + strings.Join(c.Exercise.Keys, ", ") + "):\n")
	}
	for _, k := range mine {
		fmt.Fprintf(&b, "# %s\n%s=%s\n", desc[k], k, settings[k])
	}
	if len(others) > 0 {
		b.WriteString("\n# The exercise's environment: leave these as they are.\n")
	}
	for _, k := range others {
		fmt.Fprintf(&b, "# %s\n%s=%s\n", desc[k], k, settings[k])
	}
	_, err := io.WriteString(w, b.String())
	return err
}
