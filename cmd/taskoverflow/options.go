package main

import (
	"github.com/taskoverflow-lab/taskoverflow/config"
	"github.com/taskoverflow-lab/taskoverflow/session"
	"github.com/taskoverflow-lab/taskoverflow/store"
)

// storeOptions maps the DB_* configuration onto the store's pool options.
func storeOptions(c config.DBPool) store.Options {
	return store.Options{
		MaxConns:          c.MaxConns,
		MinConns:          c.MinConns,
		MaxConnLifetime:   c.MaxConnLifetime,
		MaxConnIdleTime:   c.MaxConnIdleTime,
		HealthCheckPeriod: c.HealthCheckPeriod,
		SlowQuery:         c.SlowQuery,
		PoolWait:          c.PoolWait,
	}
}

// sessionOptions maps the REDIS_* configuration onto the session pool's options.
func sessionOptions(c config.RedisPool) session.Options {
	return session.Options{
		MaxActive:   c.MaxActive,
		Unlimited:   c.Unlimited,
		MaxIdle:     c.MaxIdle,
		IdleTimeout: c.IdleTimeout,
		Wait:        c.Wait,
		Password:    c.Password,
		CAFile:      c.CAFile,
	}
}
