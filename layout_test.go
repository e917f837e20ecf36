package taskoverflow

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's layout table names every package of the tree, and names
// nothing that is not there. Examples, benchmarks and test-only servers are
// covered by their folder's row.
func TestReadmeLayoutMatchesTheTree(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(string(readme), "## What is in the box")
	if start < 0 {
		t.Fatal(`README.md has no "## What is in the box" section`)
	}
	section := string(readme[start:])
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	rows := map[string]bool{}
	cell := regexp.MustCompile("^\\| `([^`]+)`")
	for _, line := range strings.Split(section, "\n") {
		if m := cell.FindStringSubmatch(line); m != nil {
			rows[strings.TrimSuffix(m[1], "/")] = true
		}
	}
	packages := map[string]bool{}
	err = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			packages[filepath.ToSlash(filepath.Dir(path))] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p := range packages {
		top := strings.SplitN(p, "/", 2)[0]
		switch {
		case p == ".", rows[p]:
		case top == "examples" || top == "exercises" || top == "bench" || top == "scripts":
			if !rows[top] {
				t.Errorf("README layout: no row for %s/ (holding %s)", top, p)
			}
		case strings.HasPrefix(p, "lab/plans/"):
			if !rows["lab/plans"] {
				t.Errorf("README layout: no row for lab/plans/ (holding %s)", p)
			}
		case strings.HasSuffix(p, "/testserver") || p == "store/storetest":
			// test-only helpers, described with the package they serve
		default:
			t.Errorf("README layout: package %s has no row", p)
		}
	}
	for r := range rows {
		for _, name := range strings.Split(r, "`, `") {
			if _, err := os.Stat(name); err != nil {
				t.Errorf("README layout names %s, which is not in the tree", name)
			}
		}
	}
}
