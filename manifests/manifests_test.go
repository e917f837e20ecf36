package manifests

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/taskoverflow-lab/taskoverflow/config"
)

// repoRoot is where the manifests live, relative to this package's directory.
const repoRoot = ".."

// important names must be set by every stack: without them the app talks to the wrong
// database or Redis, or runs with pools nobody chose.
var important = []string{
	"DATABASE_URL", "DB_PASSWORD", "REDIS_URL",
	"DB_MAX_CONNS", "DB_MIN_CONNS", "REDIS_MAX_ACTIVE", "REDIS_MAX_IDLE",
	"LOG_FORMAT",
}

// readFile returns the content of a file under the repository root.
func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, rel))
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	return b
}

// checkNamesRead fails for every name in set that the app does not read.
func checkNamesRead(t *testing.T, where string, set []string) {
	t.Helper()
	read := config.Names()
	for _, name := range set {
		if !slices.Contains(read, name) {
			t.Errorf("%s sets %s, which the app does not read (config.Names)", where, name)
		}
	}
}

// checkImportant fails for every important name missing from set.
func checkImportant(t *testing.T, where string, set []string) {
	t.Helper()
	for _, name := range important {
		if !slices.Contains(set, name) {
			t.Errorf("%s does not set %s", where, name)
		}
	}
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestComposeAndTerraformSetTheSameNames is the drift check between the two stacks: a knob added
// to one and forgotten in the other fails here.
func TestComposeAndTerraformSetTheSameNames(t *testing.T) {
	compose := sortedKeys(loadCompose(t).Services["app"].Environment)
	tf := loadTerraform(t)
	task := sortedKeys(tf.taskNames(t))
	if !slices.Equal(compose, task) {
		t.Errorf("environment names differ:\n compose app:  %v\n ECS task:     %v", compose, task)
	}
}

// TestHealthCheckNeverWaitsForTheDatabase: the load balancer and compose call /api/v1/health;
// by default it must not touch Postgres, or a slow database gets every healthy task pulled.
func TestHealthCheckNeverWaitsForTheDatabase(t *testing.T) {
	if v := loadCompose(t).Services["app"].Environment["HEALTH_CHECKS_DB"]; v != nil && *v != "false" {
		t.Errorf("docker-compose.yml HEALTH_CHECKS_DB: got %q, want false or unset", *v)
	}
	c := loadTerraform(t)
	refs := references(c.taskEnvironment(t)["HEALTH_CHECKS_DB"])
	for _, v := range c.blocksOf("variable") {
		if slices.Contains(refs, "var."+v.Labels[0]) {
			if got := literal(t, attribute(t, v.Body, "default").Expr); got != cty.False {
				t.Errorf("variable %s default: got %#v, want false", v.Labels[0], got)
			}
		}
	}
}
