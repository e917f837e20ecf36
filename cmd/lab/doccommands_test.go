package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/lab"
)

// docCommand is one command a student types, as a page writes it.
type docCommand struct {
	page string // such as "docs/workbook/db-saturation.md"
	line int
	// pkg is what go run runs ("./cmd/lab", "./exercises/NAME"); args follow it.
	pkg  string
	args []string
}

func (c docCommand) String() string {
	return c.page + ":" + strconv.Itoa(c.line) + ": go run " + c.pkg + " " + strings.Join(c.args, " ")
}

// quick reports whether the command is one of the quick ones a test runs.
func (c docCommand) quick() bool { return len(c.args) > 0 && c.args[len(c.args)-1] == "--quick" }

// docCommandLine matches the commands of the convention: at the start of a
// line, go run of the lab, the load tester or an exercise.
var docCommandLine = regexp.MustCompile(`^go run (\./cmd/lab|\./cmd/loadtest|\./exercises/[A-Za-z0-9_-]+)(?:\s+(.*))?$`)

// docCommands returns every command in the ```sh blocks of
// docs/workbook/*.md and docs/teacher.md, read from disk, so that a page
// added later is covered too.
func docCommands(t *testing.T) []docCommand {
	t.Helper()
	pages, err := filepath.Glob("../../docs/workbook/*.md")
	if err != nil {
		t.Fatal(err)
	}
	pages = append(pages, "../../docs/teacher.md")
	var out []docCommand
	for _, p := range pages {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		inSh, n := false, 0
		for sc.Scan() {
			n++
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "```"):
				inSh = !inSh && strings.TrimSpace(strings.TrimPrefix(line, "```")) == "sh"
				continue
			case !inSh:
				continue
			}
			m := docCommandLine.FindStringSubmatch(strings.TrimSpace(line))
			if m == nil {
				continue
			}
			out = append(out, docCommand{page: strings.TrimPrefix(p, "../../"), line: n, pkg: m[1], args: strings.Fields(m[2])})
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// buildDocPackage builds a go run target of the pages (from the
// repository's root) into dir and returns the binary.
func buildDocPackage(t *testing.T, dir, pkg string) string {
	t.Helper()
	bin := filepath.Join(dir, strings.NewReplacer("/", "_", ".", "_").Replace(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = "../.."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// The pages' commands run as written, short of a load: lab init writes a
// settings file that parses; lab capacity, list and workbook run; other lab
// commands parse their flags (with -h added, so that nothing runs a case);
// the load tester's and the exercises' commands build and parse their
// flags the same way. TestDocCommandsQuick runs the quick ones.
func TestWorkbookCommandsRun(t *testing.T) {
	cmds := docCommands(t)
	pages := map[string]bool{}
	for _, c := range cmds {
		pages[c.page] = true
	}
	workbookPages, _ := filepath.Glob("../../docs/workbook/*.md")
	for _, p := range workbookPages {
		if p := strings.TrimPrefix(p, "../../"); !pages[p] && filepath.Base(p) != "README.md" {
			t.Errorf("%s: no command", p)
		}
	}
	bins := t.TempDir()
	built := map[string]string{}
	for _, c := range cmds {
		t.Run(c.String(), func(t *testing.T) {
			if c.pkg != "./cmd/lab" {
				if built[c.pkg] == "" {
					built[c.pkg] = buildDocPackage(t, bins, c.pkg)
				}
				out, err := exec.Command(built[c.pkg], append(c.args, "-h")...).CombinedOutput()
				if err != nil {
					t.Errorf("with -h: %v\n%s", err, out)
				}
				return
			}
			switch c.args[0] {
			case "init":
				t.Chdir(t.TempDir())
				code, out, errOut := runLab(t, "", c.args...)
				if code != cli.ExitOK {
					t.Fatalf("exit %d\n%s%s", code, out, errOut)
				}
				f, err := os.Open(c.args[1] + ".env")
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if _, err := lab.ParseSettings(f); err != nil {
					t.Errorf("the file lab init wrote: %v", err)
				}
			case "capacity", "list", "workbook":
				if code, out, errOut := runLab(t, "", c.args...); code != cli.ExitOK {
					t.Errorf("exit %d\n%s%s", code, out, errOut)
				}
			default:
				if code, out, errOut := runLab(t, "", append(c.args, "-h")...); code != cli.ExitOK {
					t.Errorf("with -h: exit %d\n%s%s", code, out, errOut)
				}
			}
		})
	}
}

// The extractor finds the commands of the convention in sh blocks only.
func TestDocCommandLine(t *testing.T) {
	for _, tt := range []struct {
		line string
		pkg  string // "" for no command
	}{
		{"go run ./cmd/lab verify x --settings x.env --quick", "./cmd/lab"},
		{"go run ./cmd/loadtest conns --connections 400 127.0.0.1 6400", "./cmd/loadtest"},
		{"go run ./exercises/planners-and-studiers run --endpoint http://127.0.0.1:6400", "./exercises/planners-and-studiers"},
		{"go run ./cmd/taskoverflow serve", ""},
		{"make run", ""},
	} {
		m := docCommandLine.FindStringSubmatch(tt.line)
		got := ""
		if m != nil {
			got = m[1]
		}
		if got != tt.pkg {
			t.Errorf("%q: got %q, want %q", tt.line, got, tt.pkg)
		}
	}
}
