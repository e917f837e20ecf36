package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/lab/capacity"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/metrics"
)

func runCapacity(args []string, stdout, stderr io.Writer) int {
	fs := cli.NewFlagSet("lab capacity", "lab capacity [flags]", stderr)
	var in capacity.Input
	fs.Float64Var(&in.CPU, "cpu", 0, "vCPUs per task (default 1, the practical's task; or task_cpu/1024 from --tfvars)")
	fs.IntVar(&in.Tasks, "tasks", 0, "tasks serving the load (default 1, or desired_count)")
	fs.IntVar(&in.MaxTasks, "max-tasks", 0, "most tasks autoscaling runs, each with its pools (default --tasks, or max_count)")
	fs.IntVar(&in.Workers, "workers", 0, "concurrent requests per task (default 2*cpu+1, gunicorn's rule)")
	fs.DurationVar(&in.ServiceTime, "service-time", 0, "time one request keeps a worker busy (default 100ms, assumed)")
	summary := fs.String("summary", "", "read the service time from a load run's summary.json `FILE` (mean duration)")
	request := fs.String("request", "", "with --summary, the request `NAME` to read (default every request)")
	fs.StringVar(&in.Scenario, "scenario", "", "the load: planners-and-studiers (default, at its peak) or website")
	fs.IntVar(&in.VUs, "vus", 0, "a closed loop of `N` VUs instead of a scenario (with --think)")
	fs.DurationVar(&in.Think, "think", 0, "with --vus, each VU's sleep between requests")
	fs.Float64Var(&in.RPS, "rps", 0, "the offered load in requests/s instead of a scenario")
	fs.StringVar(&in.DBClass, "db-class", "", "RDS instance class (default db.t3.micro, or db_instance_class)")
	dbMemory := fs.String("db-memory", "", "the database's memory, such as 1GiB, instead of --db-class")
	fs.IntVar(&in.DBMaxConns, "db-max-conns", 0, "DB_MAX_CONNS of each task (default 10, or db_max_conns)")
	redisMax := fs.String("redis-max-active", "", "REDIS_MAX_ACTIVE of each task: a number or unlimited (default 32)")
	fs.IntVar(&in.MaxInflight, "max-inflight", 0, "MAX_INFLIGHT of each task (default 256)")
	tfvars := fs.String("tfvars", "", "read task_cpu, desired_count, max_count, db_max_conns, redis_max_active, max_inflight, db_instance_class from a Terraform variables `FILE`; flags win")
	if err := fs.Parse(args); err != nil {
		return cli.FlagExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "lab capacity: takes flags only, got %q\n", fs.Args())
		return cli.ExitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "lab capacity: "+format+"\n", a...)
		return cli.ExitUsage
	}
	// A zero means "not given" to the arithmetic; given on purpose it is a
	// mistake, not a request for the default.
	var zero error
	fs.Visit(func(f *flag.Flag) {
		if zero == nil && (f.Name == "cpu" && in.CPU <= 0 || f.Name == "tasks" && in.Tasks <= 0 || f.Name == "max-tasks" && in.MaxTasks <= 0) {
			zero = fmt.Errorf("--%s %s: want a number above 0", f.Name, f.Value)
		}
	})
	if zero != nil {
		return usageErr("%v", zero)
	}
	if *dbMemory != "" {
		b, err := capacity.ParseBytes(*dbMemory)
		if err != nil {
			return usageErr("--db-memory: %v", err)
		}
		in.DBMemoryBytes = b
	}
	if *redisMax != "" {
		if err := in.SetRedisMaxActive(*redisMax); err != nil {
			return usageErr("--redis-max-active: %v", err)
		}
	}
	if (in.VUs > 0) != (in.Think > 0) && in.VUs > 0 {
		return usageErr("--vus needs --think (each VU's sleep between requests)")
	}
	set := 0
	for _, given := range []bool{in.Scenario != "", in.VUs > 0, in.RPS > 0} {
		if given {
			set++
		}
	}
	if set > 1 {
		return usageErr("give one of --scenario, --vus with --think, or --rps")
	}
	if *summary != "" {
		if in.ServiceTime > 0 {
			return usageErr("give --service-time or --summary, not both")
		}
		s, err := metrics.ReadFile(*summary)
		if err != nil {
			return usageErr("--summary: %v", err)
		}
		st, from, err := serviceTime(s, *request)
		if err != nil {
			return usageErr("--summary %s: %v", *summary, err)
		}
		in.ServiceTime, in.ServiceTimeFrom = st, from
	} else if *request != "" {
		return usageErr("--request needs --summary")
	}
	if in.ServiceTime > 0 && in.ServiceTimeFrom == "" {
		in.ServiceTimeFrom = "given"
	}
	if *tfvars != "" {
		src, err := os.ReadFile(*tfvars)
		if err != nil {
			return usageErr("--tfvars: %v", err)
		}
		v, err := capacity.ReadTFVars(*tfvars, src)
		if err != nil {
			return usageErr("--tfvars: %v", err)
		}
		if in, err = v.Apply(in); err != nil {
			return usageErr("--tfvars %s: %v", *tfvars, err)
		}
	}
	rep, err := capacity.Compute(in)
	if err != nil {
		return usageErr("%v", err)
	}
	if err := capacity.Write(stdout, rep); err != nil {
		fmt.Fprintf(stderr, "lab capacity: %v\n", err)
		return cli.ExitFailure
	}
	if !rep.OK() {
		return cli.ExitFailure
	}
	return cli.ExitOK
}

// serviceTime reads the mean duration of a summary's requests (or of the
// requests called name) and says where it came from.
func serviceTime(s *metrics.Summary, name string) (time.Duration, string, error) {
	stats := s.Total()
	if name != "" {
		r, ok := s.Requests[name]
		if !ok {
			return 0, "", fmt.Errorf("no request named %q (names: %v)", name, s.Names())
		}
		stats = r
	} else {
		name = "every request"
	}
	if stats.Duration.Count() == 0 {
		return 0, "", fmt.Errorf("no timed request")
	}
	mean := stats.Duration.Mean()
	return mean, fmt.Sprintf("mean of %d × %s in the summary", stats.Duration.Count(), name), nil
}
