package manifests

import (
	"context"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/taskoverflow-lab/taskoverflow/config"
)

// loadCompose loads docker-compose.yml as `docker compose` does, interpolating with no
// environment so that every ${VAR:-default} takes its default.
func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root),
		cli.WithEnv(nil),
	)
	if err != nil {
		t.Fatalf("compose options: %v", err)
	}
	p, err := opts.LoadProject(ctx)
	if err != nil {
		t.Fatalf("load docker-compose.yml: %v", err)
	}
	return p
}

func TestComposeServices(t *testing.T) {
	p := loadCompose(t)
	for _, name := range []string{"app", "db", "redis"} {
		if _, ok := p.Services[name]; !ok {
			t.Fatalf("service %q missing; got services %v", name, sortedKeys(p.Services))
		}
	}
	app, db, redis := p.Services["app"], p.Services["db"], p.Services["redis"]

	if app.Build == nil || app.Build.Context == "" {
		t.Errorf("app: got no build section, want it built from the Dockerfile")
	} else if got := filepath.Base(app.Build.Dockerfile); got != "Dockerfile" {
		t.Errorf("app build dockerfile: got %q, want Dockerfile", got)
	}
	if !strings.HasPrefix(db.Image, "postgres:16") {
		t.Errorf("db image: got %q, want postgres:16", db.Image)
	}
	if !strings.HasPrefix(redis.Image, "redis:7") {
		t.Errorf("redis image: got %q, want redis:7", redis.Image)
	}

	for _, dep := range []string{"db", "redis"} {
		d, ok := app.DependsOn[dep]
		if !ok {
			t.Errorf("app does not depend on %s", dep)
			continue
		}
		if d.Condition != types.ServiceConditionHealthy {
			t.Errorf("app depends_on %s: got condition %q, want %q", dep, d.Condition, types.ServiceConditionHealthy)
		}
	}

	var dataVolume bool
	for _, v := range db.Volumes {
		if v.Type == types.VolumeTypeVolume && v.Target == "/var/lib/postgresql/data" {
			_, declared := p.Volumes[v.Source]
			dataVolume = declared
		}
	}
	if !dataVolume {
		t.Errorf("db: got volumes %+v, want a declared named volume on /var/lib/postgresql/data", db.Volumes)
	}
}

func TestComposeHealthChecks(t *testing.T) {
	p := loadCompose(t)
	tests := []struct {
		service string
		want    string // part of the health check command
	}{
		// No curl in the image: the binary checks itself.
		{"app", "CMD /taskoverflow healthcheck"},
		{"db", "pg_isready"},
		{"redis", "redis-cli ping"},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			hc := p.Services[tt.service].HealthCheck
			if hc == nil || hc.Disable {
				t.Fatalf("got no health check, want one running %q", tt.want)
			}
			if got := strings.Join(hc.Test, " "); !strings.Contains(got, tt.want) {
				t.Errorf("health check: got %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

// TestComposePortsLoopback: a laptop stack must not be reachable from the network by default.
func TestComposePortsLoopback(t *testing.T) {
	p := loadCompose(t)
	published := map[string]string{}
	for _, name := range sortedKeys(p.Services) {
		for _, port := range p.Services[name].Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes %d on host IP %q, want 127.0.0.1", name, port.Target, port.HostIP)
			}
			published[name] = port.Published
		}
	}
	if got := published["app"]; got != "6400" {
		t.Errorf("app published port: got %q, want 6400", got)
	}
}

func TestComposeEnvironment(t *testing.T) {
	p := loadCompose(t)
	env := p.Services["app"].Environment
	names := sortedKeys(env)
	checkNamesRead(t, "docker-compose.yml app.environment", names)
	checkImportant(t, "docker-compose.yml app.environment", names)

	if v := env["LOG_FORMAT"]; v == nil || *v != "json" {
		t.Errorf("LOG_FORMAT: got %v, want json in a container", v)
	}
	// The password travels in DB_PASSWORD, the URL carries none.
	if v := env["DATABASE_URL"]; v != nil && regexp.MustCompile(`://[^/@]*:[^/@]*@`).MatchString(*v) {
		t.Errorf("DATABASE_URL %q carries a password, want it in DB_PASSWORD only", *v)
	}

	// Every variable the app reads is either set or named in the file's comments, so a reader
	// of the compose file sees every knob.
	text := string(readFile(t, "docker-compose.yml"))
	for _, name := range config.Names() {
		if slices.Contains(names, name) {
			continue
		}
		if !regexp.MustCompile(`(?m)^#.*\b` + name + `\b`).MatchString(text) {
			t.Errorf("docker-compose.yml neither sets nor documents %s", name)
		}
	}
}
