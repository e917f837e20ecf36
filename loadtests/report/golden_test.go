package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// The text summary byte for byte, as vegeta's plot tests keep theirs: a
// change to it shows as a diff of testdata/practical.txt (go test -update
// rewrites it; review the diff before committing).
func TestTextGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, practicalSummary()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "practical.txt")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("the text summary differs from %s (go test -update rewrites it):\ngot:\n%s\nwant:\n%s", path, b.Bytes(), want)
	}
}
