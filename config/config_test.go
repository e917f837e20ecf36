package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load with no environment: %v", err)
	}
	if c.Addr != ":6400" {
		t.Errorf("Addr: got %q, want :6400", c.Addr)
	}
	if c.Redis.Unlimited || c.Redis.MaxActive != 32 {
		t.Errorf("Redis.MaxActive: got %d (unlimited %v), want a bound of 32", c.Redis.MaxActive, c.Redis.Unlimited)
	}
	if c.DB.MaxConns != 10 || c.MaxConns != 1024 || c.MaxInflight != 256 {
		t.Errorf("pool and server bounds: got db %d conns %d inflight %d", c.DB.MaxConns, c.MaxConns, c.MaxInflight)
	}
	if c.RequestTimeout != 10*time.Second {
		t.Errorf("RequestTimeout: got %v, want 10s", c.RequestTimeout)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // part of the error
	}{
		// The zero value must never silently mean unlimited.
		{"redis max active zero", map[string]string{"REDIS_MAX_ACTIVE": "0"}, "REDIS_MAX_ACTIVE=\"0\": must be at least 1 (write `unlimited`"},
		{"db max conns zero", map[string]string{"DB_MAX_CONNS": "0"}, "DB_MAX_CONNS=\"0\": must be at least 1"},
		{"max conns words", map[string]string{"MAX_CONNS": "lots"}, "MAX_CONNS=\"lots\": not a whole number"},
		{"bad duration", map[string]string{"REQUEST_TIMEOUT": "10"}, "REQUEST_TIMEOUT=\"10\": not a duration"},
		{"negative duration", map[string]string{"SHUTDOWN_TIMEOUT": "-1s"}, "must be above zero"},
		{"bad addr", map[string]string{"ADDR": "6400"}, "ADDR=\"6400\": want host:port"},
		{"bad log format", map[string]string{"LOG_FORMAT": "xml"}, "want auto, json or text"},
		{"min above max", map[string]string{"DB_MIN_CONNS": "20"}, "DB_MIN_CONNS=20 is above DB_MAX_CONNS=10"},
		{"idle above active", map[string]string{"REDIS_MAX_ACTIVE": "4", "REDIS_MAX_IDLE": "8"}, "REDIS_MAX_IDLE=8 is above REDIS_MAX_ACTIVE=4"},
		{"bcrypt too high", map[string]string{"BCRYPT_COST": "40"}, "at most 31"},
		{"bad metrics addr", map[string]string{"METRICS_ADDR": "9464"}, "METRICS_ADDR=\"9464\": want host:port"},
		{"bad proxy cidr", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8,elb"}, `"elb" is not a CIDR`},
		{"pool wait words", map[string]string{"DB_POOL_WAIT": "forever"}, "DB_POOL_WAIT=\"forever\": not a duration (such as 500ms, 10s, 5m), or `request`"},
		{"app user without password", map[string]string{"DB_APP_USER": "app"}, `DB_APP_USER="app" needs DB_APP_PASSWORD`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(env(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLoadUnlimitedSpelledOut(t *testing.T) {
	c, err := Load(env(map[string]string{"REDIS_MAX_ACTIVE": "unlimited", "REDIS_MAX_IDLE": "3"}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Redis.Unlimited || c.Redis.MaxActive != 0 || c.Redis.MaxIdle != 3 {
		t.Fatalf("got %+v, want unlimited with MaxIdle 3", c.Redis)
	}
}

// DB_POOL_WAIT is a duration, or `request` (the default): the request's
// deadline bounds the wait.
func TestLoadPoolWait(t *testing.T) {
	for _, tt := range []struct {
		env  string
		want time.Duration
	}{{"", 0}, {"request", 0}, {"REQUEST", 0}, {"150ms", 150 * time.Millisecond}} {
		c, err := Load(env(map[string]string{"DB_POOL_WAIT": tt.env}))
		if err != nil {
			t.Fatalf("DB_POOL_WAIT=%q: %v", tt.env, err)
		}
		if c.DB.PoolWait != tt.want {
			t.Errorf("DB_POOL_WAIT=%q: got %v, want %v", tt.env, c.DB.PoolWait, tt.want)
		}
	}
}

func TestNamesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, n := range Names() {
		if seen[n] {
			t.Errorf("%s listed twice", n)
		}
		seen[n] = true
	}
}

func TestLoadTrustedProxies(t *testing.T) {
	tests := []struct {
		name, env string
		want      []string
	}{
		// Unset trusts no one.
		{"unset", "", nil},
		{"cidrs", "172.31.0.0/16, 10.1.2.3/8", []string{"172.31.0.0/16", "10.0.0.0/8"}},
		// A bare address is that host alone.
		{"one host", "127.0.0.1,::1", []string{"127.0.0.1/32", "::1/128"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(env(map[string]string{"TRUSTED_PROXIES": tt.env}))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range c.TrustedProxies {
				got = append(got, p.String())
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLoadSecuritySettings(t *testing.T) {
	c, err := Load(env(map[string]string{
		"REDIS_PASSWORD": "token", "REDIS_TLS_CA_FILE": "/ca.pem", "METRICS_ADDR": ":9464",
		"DB_APP_USER": "app", "DB_APP_PASSWORD": "pw",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.Password != "token" || c.Redis.CAFile != "/ca.pem" || c.MetricsAddr != ":9464" || c.DBAppUser != "app" || c.DBAppPassword != "pw" {
		t.Errorf("got redis %q %q, metrics %q, app role %q %q", c.Redis.Password, c.Redis.CAFile, c.MetricsAddr, c.DBAppUser, c.DBAppPassword)
	}
	// Unset, /metrics stays on ADDR.
	if c, _ := Load(env(nil)); c.MetricsAddr != "" || c.TrustedProxies != nil {
		t.Errorf("defaults: got METRICS_ADDR %q TRUSTED_PROXIES %v, want both empty", c.MetricsAddr, c.TrustedProxies)
	}
}
