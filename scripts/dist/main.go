// Command dist cross-builds the project's commands for the release targets
// and packs one archive per target, with a SHA256SUMS file:
//
//	go run ./scripts/dist -version v1.2.3 -out dist
//
// writes dist/taskoverflow_v1.2.3_linux_amd64.tar.gz (and the other targets;
// .zip for Windows), each holding taskoverflow, loadtest, lab and deploy
// with the version linked in, README.md and LICENSE when present, and
// dist/SHA256SUMS in the format `sha256sum -c` reads. `make dist` runs it.
package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
)

// Targets are the platforms a release is built for.
var targets = []string{"linux/amd64", "linux/arm64", "darwin/arm64", "darwin/amd64", "windows/amd64"}

// commands are the binaries each archive holds, built from ./cmd/NAME.
var commands = []string{"taskoverflow", "loadtest", "lab", "deploy"}

// versionVar is the variable -ldflags -X sets (see internal/version).
const versionVar = "github.com/taskoverflow-lab/taskoverflow/internal/version.version"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "dist:", err)
		stop()
		os.Exit(1)
	}
}

// run builds the archives as args say; environ is the environment go build runs in.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dist", flag.ContinueOnError)
	fs.SetOutput(stderr)
	version := fs.String("version", "devel", "the version linked into the binaries and named in the archives")
	out := fs.String("out", "dist", "the `DIR` the archives and SHA256SUMS are written to (emptied first)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if err := os.RemoveAll(*out); err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "taskoverflow-dist-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	var archives []string
	for _, target := range targets {
		goos, goarch, _ := strings.Cut(target, "/")
		dir := filepath.Join(work, goos+"_"+goarch)
		var files []string
		for _, cmd := range commands {
			bin := filepath.Join(dir, exeName(goos, cmd))
			if err := build(ctx, environ, goos, goarch, *version, bin, "./cmd/"+cmd); err != nil {
				return err
			}
			files = append(files, bin)
		}
		for _, doc := range []string{"README.md", "LICENSE"} {
			if _, err := os.Stat(doc); err == nil {
				files = append(files, doc)
			}
		}
		name := archiveName(*version, goos, goarch)
		if err := writeArchive(filepath.Join(*out, name), files); err != nil {
			return err
		}
		archives = append(archives, name)
	}
	if err := writeSums(*out, archives); err != nil {
		return err
	}
	for _, name := range archives {
		fi, err := os.Stat(filepath.Join(*out, name))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\t%.1f MB\n", filepath.Join(*out, name), float64(fi.Size())/1e6)
	}
	fmt.Fprintln(stdout, filepath.Join(*out, "SHA256SUMS"))
	return nil
}

// build compiles pkg for goos/goarch into bin, statically (CGO_ENABLED=0),
// stripped, with the version linked in.
func build(ctx context.Context, environ []string, goos, goarch, version, bin, pkg string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-ldflags", "-s -w -X "+versionVar+"="+version, "-o", bin, pkg)
	cmd.Env = append(append([]string(nil), environ...), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s for %s/%s: %w\n%s", pkg, goos, goarch, err, out)
	}
	return nil
}

func exeName(goos, name string) string {
	if goos == "windows" {
		return name + ".exe"
	}
	return name
}

// archiveName is taskoverflow_VERSION_GOOS_GOARCH.tar.gz, .zip for Windows.
func archiveName(version, goos, goarch string) string {
	ext := ".tar.gz"
	if goos == "windows" {
		ext = ".zip"
	}
	return fmt.Sprintf("taskoverflow_%s_%s_%s%s", version, goos, goarch, ext)
}

// writeArchive packs files (by base name, executables 0755) into path, a
// .zip or a .tar.gz by its name.
func writeArchive(path string, files []string) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	if strings.HasSuffix(path, ".zip") {
		return writeZip(f, files)
	}
	return writeTarGz(f, files)
}

func writeTarGz(w io.Writer, files []string) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	for _, path := range files {
		b, fi, err := readFile(path)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: filepath.Base(path), Mode: int64(mode(fi)), Size: int64(len(b)), ModTime: fi.ModTime(), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(b); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func writeZip(w io.Writer, files []string) error {
	zw := zip.NewWriter(w)
	for _, path := range files {
		b, fi, err := readFile(path)
		if err != nil {
			return err
		}
		hdr := &zip.FileHeader{Name: filepath.Base(path), Method: zip.Deflate, Modified: fi.ModTime()}
		hdr.SetMode(mode(fi))
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if _, err := fw.Write(b); err != nil {
			return err
		}
	}
	return zw.Close()
}

func readFile(path string) ([]byte, os.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	b, err := os.ReadFile(path)
	return b, fi, err
}

// mode is 0755 for an executable (a built binary), 0644 for anything else.
func mode(fi os.FileInfo) os.FileMode {
	if fi.Mode()&0o111 != 0 || strings.HasSuffix(fi.Name(), ".exe") {
		return 0o755
	}
	return 0o644
}

// writeSums writes dir/SHA256SUMS for names (files in dir), sorted, one
// `HEX  NAME` line each.
func writeSums(dir string, names []string) error {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	var b strings.Builder
	for _, name := range sorted {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(sum[:]), name)
	}
	return os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(b.String()), 0o644)
}
