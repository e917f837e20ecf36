package backing

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// postgresDirs are the places Postgres server binaries are installed, besides
// PATH: Debian and Ubuntu, Homebrew on Apple silicon and on Intel (versioned
// formulae are keg-only, so not on PATH), and Postgres.app.
var postgresDirs = []string{
	"/usr/lib/postgresql/*/bin",
	"/opt/homebrew/opt/postgresql@*/bin",
	"/opt/homebrew/opt/postgresql/bin",
	"/usr/local/opt/postgresql@*/bin",
	"/usr/local/opt/postgresql/bin",
	"/Applications/Postgres.app/Contents/Versions/*/bin",
}

// redisDirs are the places redis-server is installed, besides PATH.
var redisDirs = []string{
	"/opt/homebrew/bin",
	"/opt/homebrew/opt/redis/bin",
	"/usr/local/bin",
	"/usr/local/opt/redis/bin",
	"/usr/bin",
}

// search says where FindPostgres and FindRedis look: the directories of
// path (a PATH list), then the well-known directories under root ("" for
// the real file system; tests pass a fake tree). goos names executables
// (".exe" on Windows) and picks the install command an error names.
type search struct {
	goos string
	path string
	root string
}

// searchPath is the search of this machine over the PATH list path; empty
// path means the process's own PATH, as exec.LookPath reads it.
func searchPath(path string) search {
	if path == "" {
		path = os.Getenv("PATH")
	}
	return search{goos: runtime.GOOS, path: path}
}

// candidates lists the directories to look in: PATH first, in its order,
// then the well-known ones, newest version first.
func (s search) candidates(known []string) []string {
	dirs := filepath.SplitList(s.path)
	var found []string
	for _, pattern := range known {
		m, _ := filepath.Glob(filepath.Join(s.root, filepath.FromSlash(pattern)))
		found = append(found, m...)
	}
	sort.SliceStable(found, func(i, j int) bool { return versionOf(found[i]) > versionOf(found[j]) })
	return append(dirs, found...)
}

// has reports whether dir holds every named executable.
func (s search) has(dir string, names ...string) bool {
	if dir == "" {
		return false
	}
	for _, name := range names {
		if !s.isExecutable(filepath.Join(dir, name)) {
			return false
		}
	}
	return true
}

func (s search) isExecutable(path string) bool {
	if s.goos == "windows" {
		path += ".exe"
	}
	fi, err := os.Stat(path)
	if err != nil || fi.IsDir() {
		return false
	}
	return s.goos == "windows" || fi.Mode()&0o111 != 0
}

// postgres returns the directory holding initdb and postgres: pgBin when
// given (PG_BIN), else the first candidate that holds both. The error names
// where it looked and how to install them.
func (s search) postgres(pgBin string) (string, error) {
	if pgBin != "" {
		if s.has(pgBin, "initdb", "postgres") {
			return pgBin, nil
		}
		return "", fmt.Errorf("no initdb and postgres in PG_BIN=%s", pgBin)
	}
	for _, dir := range s.candidates(postgresDirs) {
		if s.has(dir, "initdb", "postgres") {
			return dir, nil
		}
	}
	return "", fmt.Errorf("no Postgres server binaries (initdb and postgres) in PATH, %s: %s",
		strings.Join(postgresDirs, ", "), installHint(s.goos))
}

// redis returns the path of redis-server: the first candidate that holds it.
func (s search) redis() (string, error) {
	for _, dir := range s.candidates(redisDirs) {
		if s.has(dir, "redis-server") {
			path := filepath.Join(dir, "redis-server")
			if s.goos == "windows" {
				path += ".exe"
			}
			return path, nil
		}
	}
	return "", fmt.Errorf("no redis-server in PATH, %s: %s", strings.Join(redisDirs, ", "), installHint(s.goos))
}

// installHint tells a user of goos how to get both servers, or how to do
// without them.
func installHint(goos string) string {
	var install string
	switch goos {
	case "linux":
		install = "install them with `sudo apt-get install postgresql redis-server` (Debian, Ubuntu; other distributions have packages of these names)"
	case "darwin":
		install = "install them with `brew install postgresql@16 redis` (Homebrew), or Postgres.app and `brew install redis`"
	case "windows":
		install = "on Windows run the project in WSL2 (there: `sudo apt-get install postgresql redis-server`), or run the API, Postgres and Redis in Docker with `make up`"
	default:
		install = "install Postgres and Redis with the system's package manager"
	}
	return install + "; or set PG_BIN to the directory of initdb and postgres, or DATABASE_URL and REDIS_URL to running servers"
}

// versionOf reads the major version in a binary directory's path
// (/usr/lib/postgresql/15/bin, …/postgresql@16/bin, …/Versions/16/bin); 0
// when there is none.
func versionOf(binDir string) int {
	name := filepath.Base(filepath.Dir(binDir))
	if i := strings.LastIndexByte(name, '@'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		name = name[:i]
	}
	n, _ := strconv.Atoi(name)
	return n
}
