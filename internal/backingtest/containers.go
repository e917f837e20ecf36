package backingtest

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
	tcredis "github.com/testcontainers/testcontainers-go/modules/redis"

	"github.com/taskoverflow-lab/taskoverflow/internal/backing"
)

// Images used when a Docker daemon answers; the same majors as docker-compose.yml.
const (
	postgresImage = "postgres:16-alpine"
	redisImage    = "redis:7-alpine"
)

// dockerAnswers reports whether a Docker daemon answers within a short bound.
// Without one, NewDockerProvider or Health fails at once.
func dockerAnswers(ctx context.Context) bool {
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return false
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return p.Health(ctx) == nil
}

func startContainers(ctx context.Context, opts backing.Options) (_ *backing.Env, err error) {
	env := &backing.Env{Mode: ModeContainers}
	defer func() {
		if err != nil {
			env.Close()
		}
	}()
	pgOpts := []testcontainers.ContainerCustomizer{
		tcpostgres.WithDatabase(backing.Database), tcpostgres.WithUsername("postgres"),
		tcpostgres.WithPassword("postgres"), tcpostgres.BasicWaitStrategies(),
	}
	if opts.MaxConnections > 0 {
		pgOpts = append(pgOpts, testcontainers.WithCmdArgs("-c", "max_connections="+strconv.Itoa(opts.MaxConnections)))
	}
	pg, err := tcpostgres.Run(ctx, postgresImage, pgOpts...)
	if pg != nil {
		env.OnClose(func() error { return testcontainers.TerminateContainer(pg) })
	}
	if err != nil {
		return nil, fmt.Errorf("postgres container: %w", err)
	}
	if env.DatabaseURL, err = pg.ConnectionString(ctx, "sslmode=disable"); err != nil {
		return nil, err
	}
	rd, err := tcredis.Run(ctx, redisImage)
	if rd != nil {
		env.OnClose(func() error { return testcontainers.TerminateContainer(rd) })
	}
	if err != nil {
		return nil, fmt.Errorf("redis container: %w", err)
	}
	if env.RedisURL, err = rd.ConnectionString(ctx); err != nil {
		return nil, err
	}
	if opts.Logger != nil {
		opts.Logger.Info("backing services in containers", "env", env.String())
	}
	return env, nil
}
