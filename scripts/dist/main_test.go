package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestArchiveName(t *testing.T) {
	for _, tt := range []struct{ goos, goarch, want string }{
		{"linux", "amd64", "taskoverflow_v1.0.0_linux_amd64.tar.gz"},
		{"darwin", "arm64", "taskoverflow_v1.0.0_darwin_arm64.tar.gz"},
		{"windows", "amd64", "taskoverflow_v1.0.0_windows_amd64.zip"},
	} {
		if got := archiveName("v1.0.0", tt.goos, tt.goarch); got != tt.want {
			t.Errorf("archiveName(%s/%s): got %s, want %s", tt.goos, tt.goarch, got, tt.want)
		}
	}
}

// An archive holds each file by its base name with its content, binaries
// executable; SHA256SUMS holds each archive's digest.
func TestArchivesAndSums(t *testing.T) {
	src, out := t.TempDir(), t.TempDir()
	bin := filepath.Join(src, "lab")
	doc := filepath.Join(src, "README.md")
	os.WriteFile(bin, []byte("binary"), 0o755)
	os.WriteFile(doc, []byte("# readme"), 0o644)
	for _, name := range []string{"a.tar.gz", "b.zip"} {
		if err := writeArchive(filepath.Join(out, name), []string{bin, doc}); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{"lab": "binary 755", "README.md": "# readme 644"}
	if got := readTarGz(t, filepath.Join(out, "a.tar.gz")); !equal(got, want) {
		t.Errorf("tar.gz: got %v, want %v", got, want)
	}
	if got := readZip(t, filepath.Join(out, "b.zip")); !equal(got, want) {
		t.Errorf("zip: got %v, want %v", got, want)
	}

	if err := writeSums(out, []string{"b.zip", "a.tar.gz"}); err != nil {
		t.Fatal(err)
	}
	sums, _ := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	lines := strings.Split(strings.TrimSpace(string(sums)), "\n")
	if len(lines) != 2 {
		t.Fatalf("SHA256SUMS: got %q, want two lines", sums)
	}
	for i, name := range []string{"a.tar.gz", "b.zip"} {
		data, _ := os.ReadFile(filepath.Join(out, name))
		sum := sha256.Sum256(data)
		if want := hex.EncodeToString(sum[:]) + "  " + name; lines[i] != want {
			t.Errorf("SHA256SUMS line %d: got %q, want %q", i, lines[i], want)
		}
	}
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func readTarGz(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		got[hdr.Name] = string(b) + " " + octal(os.FileMode(hdr.Mode).Perm())
	}
}

func readZip(t *testing.T, path string) map[string]string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	got := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		got[f.Name] = string(b) + " " + octal(f.Mode().Perm())
	}
	return got
}

func octal(m os.FileMode) string { return fmt.Sprintf("%o", uint32(m)) }
