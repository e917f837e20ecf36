package backing

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeTree makes root/<dir>/<name> for each "dir/name" entry: executables,
// except names ending in "!" (plain files, mode 0644).
func fakeTree(t *testing.T, root string, files ...string) {
	t.Helper()
	for _, f := range files {
		mode := os.FileMode(0o755)
		if strings.HasSuffix(f, "!") {
			f, mode = strings.TrimSuffix(f, "!"), 0o644
		}
		path := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSearchFindsPostgres(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		path  []string // PATH entries, under the root
		want  string   // under the root
	}{
		// Debian and Ubuntu: the newest major wins.
		{"debian newest", []string{
			"usr/lib/postgresql/9/bin/initdb", "usr/lib/postgresql/9/bin/postgres",
			"usr/lib/postgresql/15/bin/initdb", "usr/lib/postgresql/15/bin/postgres",
			"usr/lib/postgresql/13/bin/initdb", "usr/lib/postgresql/13/bin/postgres",
		}, nil, "usr/lib/postgresql/15/bin"},
		// Homebrew on Apple silicon: versioned formulae are keg-only, off PATH.
		{"homebrew arm", []string{
			"opt/homebrew/opt/postgresql@14/bin/initdb", "opt/homebrew/opt/postgresql@14/bin/postgres",
			"opt/homebrew/opt/postgresql@16/bin/initdb", "opt/homebrew/opt/postgresql@16/bin/postgres",
		}, nil, "opt/homebrew/opt/postgresql@16/bin"},
		// Homebrew on Intel Macs.
		{"homebrew intel", []string{
			"usr/local/opt/postgresql@15/bin/initdb", "usr/local/opt/postgresql@15/bin/postgres",
		}, nil, "usr/local/opt/postgresql@15/bin"},
		// Postgres.app.
		{"postgres.app", []string{
			"Applications/Postgres.app/Contents/Versions/16/bin/initdb", "Applications/Postgres.app/Contents/Versions/16/bin/postgres",
		}, nil, "Applications/Postgres.app/Contents/Versions/16/bin"},
		// PATH comes before the well-known directories.
		{"path first", []string{
			"custom/bin/initdb", "custom/bin/postgres",
			"usr/lib/postgresql/15/bin/initdb", "usr/lib/postgresql/15/bin/postgres",
		}, []string{"empty", "custom/bin"}, "custom/bin"},
		// A directory with postgres but no initdb (a client-only install) is skipped.
		{"needs both", []string{
			"custom/bin/postgres",
			"usr/lib/postgresql/14/bin/initdb", "usr/lib/postgresql/14/bin/postgres",
		}, []string{"custom/bin"}, "usr/lib/postgresql/14/bin"},
		// A file without the execute bit is not a binary.
		{"not executable", []string{
			"usr/lib/postgresql/16/bin/initdb", "usr/lib/postgresql/16/bin/postgres!",
			"usr/lib/postgresql/15/bin/initdb", "usr/lib/postgresql/15/bin/postgres",
		}, nil, "usr/lib/postgresql/15/bin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			fakeTree(t, root, tt.files...)
			var path []string
			for _, p := range tt.path {
				path = append(path, filepath.Join(root, p))
			}
			s := search{goos: "linux", path: strings.Join(path, string(os.PathListSeparator)), root: root}
			got, err := s.postgres("")
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(root, tt.want); got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

func TestSearchPGBin(t *testing.T) {
	root := t.TempDir()
	fakeTree(t, root, "pg/initdb", "pg/postgres", "usr/lib/postgresql/16/bin/initdb", "usr/lib/postgresql/16/bin/postgres")
	s := search{goos: "linux", root: root}
	// PG_BIN wins over everything found.
	if got, err := s.postgres(filepath.Join(root, "pg")); err != nil || got != filepath.Join(root, "pg") {
		t.Errorf("PG_BIN: got %s, %v; want %s", got, err, filepath.Join(root, "pg"))
	}
	// A PG_BIN without the binaries is named, and not replaced by a guess.
	_, err := s.postgres("/nonexistent")
	if err == nil || !strings.Contains(err.Error(), "PG_BIN=/nonexistent") {
		t.Errorf("PG_BIN without binaries: got %v, want an error naming PG_BIN=/nonexistent", err)
	}
}

func TestSearchFindsRedis(t *testing.T) {
	tests := []struct {
		name  string
		files []string
		path  string
		want  string
	}{
		{"homebrew arm", []string{"opt/homebrew/bin/redis-server"}, "", "opt/homebrew/bin/redis-server"},
		{"homebrew intel", []string{"usr/local/bin/redis-server"}, "", "usr/local/bin/redis-server"},
		{"debian", []string{"usr/bin/redis-server"}, "", "usr/bin/redis-server"},
		{"path first", []string{"mine/redis-server", "usr/bin/redis-server"}, "mine", "mine/redis-server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			fakeTree(t, root, tt.files...)
			s := search{goos: "darwin", root: root}
			if tt.path != "" {
				s.path = filepath.Join(root, tt.path)
			}
			got, err := s.redis()
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(root, tt.want); got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

// With nothing installed, the error says where it looked and the install
// command of the platform it runs on.
func TestSearchNothingFoundNamesInstallCommand(t *testing.T) {
	tests := []struct {
		goos string
		want []string
	}{
		{"linux", []string{"sudo apt-get install postgresql redis-server"}},
		{"darwin", []string{"brew install postgresql@16 redis", "Postgres.app"}},
		{"windows", []string{"WSL2", "make up"}},
		{"freebsd", []string{"package manager"}},
	}
	for _, tt := range tests {
		t.Run(tt.goos, func(t *testing.T) {
			root := t.TempDir()
			fakeTree(t, root, "usr/lib/postgresql/15/bin/postgres") // no initdb
			s := search{goos: tt.goos, path: filepath.Join(root, "empty"), root: root}
			_, pgErr := s.postgres("")
			_, rdErr := s.redis()
			if pgErr == nil || rdErr == nil {
				t.Fatalf("got %v, %v; want two errors", pgErr, rdErr)
			}
			for _, want := range append(tt.want, "PG_BIN", "DATABASE_URL and REDIS_URL") {
				if !strings.Contains(pgErr.Error(), want) || !strings.Contains(rdErr.Error(), want) {
					t.Errorf("errors do not say %q:\n%v\n%v", want, pgErr, rdErr)
				}
			}
			for _, want := range []string{"/usr/lib/postgresql/*/bin", "/opt/homebrew/opt/postgresql@*/bin", "/usr/local/opt/postgresql@*/bin", "/Applications/Postgres.app/Contents/Versions/*/bin"} {
				if !strings.Contains(pgErr.Error(), want) {
					t.Errorf("postgres error does not name %s: %v", want, pgErr)
				}
			}
		})
	}
}

// On Windows an executable is NAME.exe, whatever its mode.
func TestSearchWindowsExe(t *testing.T) {
	root := t.TempDir()
	fakeTree(t, root, "pg/initdb.exe!", "pg/postgres.exe!", "rd/redis-server.exe!")
	s := search{goos: "windows", path: filepath.Join(root, "pg") + string(os.PathListSeparator) + filepath.Join(root, "rd"), root: root}
	if got, err := s.postgres(""); err != nil || got != filepath.Join(root, "pg") {
		t.Errorf("postgres: got %s, %v", got, err)
	}
	if got, err := s.redis(); err != nil || got != filepath.Join(root, "rd", "redis-server.exe") {
		t.Errorf("redis: got %s, %v", got, err)
	}
}
