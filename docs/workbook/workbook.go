// Package workbook holds the lab's exercises, one Markdown file per case
// (CASE.md), embedded so that `lab workbook CASE` prints the same text a
// reader finds in docs/workbook/.
package workbook

import (
	"embed"
	"io/fs"
	"slices"
	"strings"
)

//go:embed *.md
var files embed.FS

// Exercise returns the exercise of the case called name, and whether there is one.
func Exercise(name string) (string, bool) {
	b, err := files.ReadFile(name + ".md")
	if err != nil {
		return "", false
	}
	return string(b), true
}

// Names returns the name of every exercise, sorted.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".md"); ok && n != "README" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}
