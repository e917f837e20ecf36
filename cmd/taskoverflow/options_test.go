package main

import (
	"reflect"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/config"
	"github.com/taskoverflow-lab/taskoverflow/session"
	"github.com/taskoverflow-lab/taskoverflow/store"
)

// Every DB_* and REDIS_* setting reaches the store's and the session pool's
// options, field for field: a knob added to config but not mapped fails here.
func TestConfigMapsOntoOptions(t *testing.T) {
	env := map[string]string{
		"DB_MAX_CONNS": "17", "DB_MIN_CONNS": "3", "DB_MAX_CONN_LIFETIME": "7m", "DB_MAX_CONN_IDLE_TIME": "11s",
		"DB_SLOW_QUERY":    "123ms",
		"REDIS_MAX_ACTIVE": "9", "REDIS_MAX_IDLE": "5", "REDIS_IDLE_TIMEOUT": "13s", "REDIS_WAIT": "false",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	gotDB := storeOptions(cfg.DB)
	wantDB := store.Options{MaxConns: 17, MinConns: 3, MaxConnLifetime: 7 * time.Minute, MaxConnIdleTime: 11 * time.Second,
		HealthCheckPeriod: cfg.DB.HealthCheckPeriod, SlowQuery: 123 * time.Millisecond}
	if gotDB != wantDB {
		t.Errorf("store options: got %+v, want %+v", gotDB, wantDB)
	}
	gotRedis := sessionOptions(cfg.Redis)
	wantRedis := session.Options{MaxActive: 9, MaxIdle: 5, IdleTimeout: 13 * time.Second, Wait: false}
	if gotRedis != wantRedis {
		t.Errorf("session options: got %+v, want %+v", gotRedis, wantRedis)
	}
	// The config structs and the options have the same fields: none is left unmapped.
	for _, pair := range [][2]any{{cfg.DB, gotDB}, {cfg.Redis, gotRedis}} {
		if a, b := reflect.TypeOf(pair[0]).NumField(), reflect.TypeOf(pair[1]).NumField(); a != b {
			t.Errorf("%T has %d fields, %T %d: map the new ones", pair[0], a, pair[1], b)
		}
	}

	cfg, err = config.Load(func(k string) string { return map[string]string{"REDIS_MAX_ACTIVE": "unlimited"}[k] })
	if err != nil {
		t.Fatal(err)
	}
	if got := sessionOptions(cfg.Redis); !got.Unlimited || got.MaxActive != 0 {
		t.Errorf("REDIS_MAX_ACTIVE=unlimited: got %+v, want Unlimited", got)
	}
}
