// Package capacity does the load-testing practical's back-of-the-envelope
// arithmetic (workers, offered load, Postgres connections, Redis clients)
// and reads the figures it needs from a Terraform variables file.
package capacity

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/taskoverflow-lab/taskoverflow/config"
	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/gocty"
)

// Figures of the practical (seed 004) and of the services it deploys to.
const (
	// RDSBytesPerConnection is the divisor of RDS Postgres's default
	// max_connections: LEAST(DBInstanceClassMemory/9531392, 5000).
	RDSBytesPerConnection = 9531392
	// RDSMaxConnectionsCap is that formula's upper bound.
	RDSMaxConnectionsCap = 5000
	// ElastiCacheMaxClients is ElastiCache for Redis's maxclients, which
	// cannot be changed.
	ElastiCacheMaxClients = 65000
	// Headroom is the utilisation above which the capacity verdict warns.
	Headroom = 0.7
)

// DBInstanceMemory is the nominal memory of common RDS instance classes, in GiB.
func DBInstanceMemory() map[string]float64 {
	return map[string]float64{
		"db.t3.micro": 1, "db.t3.small": 2, "db.t3.medium": 4, "db.t3.large": 8, "db.t3.xlarge": 16, "db.t3.2xlarge": 32,
		"db.t4g.micro": 1, "db.t4g.small": 2, "db.t4g.medium": 4, "db.t4g.large": 8, "db.t4g.xlarge": 16, "db.t4g.2xlarge": 32,
		"db.m5.large": 8, "db.m5.xlarge": 16, "db.m5.2xlarge": 32, "db.m5.4xlarge": 64,
		"db.m6g.large": 8, "db.m6g.xlarge": 16, "db.m6g.2xlarge": 32, "db.m6g.4xlarge": 64,
		"db.r5.large": 16, "db.r5.xlarge": 32, "db.r5.2xlarge": 64, "db.r6g.large": 16, "db.r6g.xlarge": 32,
	}
}

// Input is what the arithmetic starts from. The zero value of a
// field means "not given"; Defaults fills in the practical's figures.
type Input struct {
	// CPU per task (vCPU) and the task count serving the load.
	CPU   float64
	Tasks int
	// MaxTasks is how many tasks autoscaling may run: each opens its pools.
	MaxTasks int
	// Workers per task; 0 means the practical's gunicorn rule 2*cpu+1.
	Workers int
	// ServiceTime is the time one request keeps a worker busy.
	ServiceTime time.Duration
	// ServiceTimeFrom says where ServiceTime came from.
	ServiceTimeFrom string
	// Scenario names the load: "planners-and-studiers" or "website"; or
	// VUs with Think gives a closed loop of VUs; or RPS gives the load.
	Scenario string
	VUs      int
	Think    time.Duration
	RPS      float64
	// DBClass and DBMemoryBytes size the database (DBMemoryBytes wins).
	DBClass       string
	DBMemoryBytes float64
	// DBMaxConns is each task's Postgres pool; RedisMaxActive each task's
	// Redis pool (0 with RedisUnlimited for "unlimited"); MaxInflight the
	// requests one task serves at once (bounds an unlimited Redis pool).
	DBMaxConns     int
	RedisMaxActive int
	RedisUnlimited bool
	MaxInflight    int
}

// Defaults fills what is not given with the practical's figures: a 1 vCPU
// task, one of them, the planners-and-studiers load at its peak, a
// db.t3.micro, and the API's own pool defaults, as package config has them.
// It returns an error only when config's defaults do not load.
func (in Input) Defaults() (Input, error) {
	server, err := config.Load(func(string) string { return "" })
	if err != nil {
		return in, fmt.Errorf("the server's defaults: %w", err)
	}
	if in.CPU == 0 {
		in.CPU = 1
	}
	if in.Tasks == 0 {
		in.Tasks = 1
	}
	if in.MaxTasks == 0 {
		in.MaxTasks = in.Tasks
	}
	if in.ServiceTime == 0 {
		in.ServiceTime = 100 * time.Millisecond
		in.ServiceTimeFrom = "assumed; measure it with --summary or give --service-time"
	}
	if in.Scenario == "" && in.VUs == 0 && in.RPS == 0 {
		in.Scenario = "planners-and-studiers"
	}
	if in.DBClass == "" && in.DBMemoryBytes == 0 {
		in.DBClass = "db.t3.micro"
	}
	if in.DBMaxConns == 0 {
		in.DBMaxConns = int(server.DB.MaxConns)
	}
	if in.RedisMaxActive == 0 && !in.RedisUnlimited {
		in.RedisMaxActive, in.RedisUnlimited = server.Redis.MaxActive, server.Redis.Unlimited
	}
	if in.MaxInflight == 0 {
		in.MaxInflight = server.MaxInflight
	}
	return in, nil
}

// Status is a capacity verdict.
type Status string

// The verdicts, from good to bad.
const (
	StatusOK   Status = "ok"
	StatusWarn Status = "WARN"
	StatusOver Status = "OVER"
)

// Section is one part of the arithmetic with its verdict.
type Section struct {
	Title  string
	Lines  []string
	Status Status
	// Verdict says in words what the status means.
	Verdict string
}

// Report is the arithmetic done.
type Report struct {
	Sections []Section
	// Figures, for callers and tests.
	Workers        int
	Capacity       float64 // requests/s the tasks serve
	Offered        float64 // requests/s the load asks
	MaxConnections int
	PoolSum        int
	RedisClients   int // -1 when unbounded
}

// OK reports whether no section is over its limit.
func (r Report) OK() bool {
	for _, s := range r.Sections {
		if s.Status == StatusOver {
			return false
		}
	}
	return true
}

// Compute does the practical's back-of-the-envelope on in (after
// Defaults). It returns an error naming a figure that cannot be used.
func Compute(in Input) (Report, error) {
	var rep Report
	in, err := in.Defaults()
	if err != nil {
		return rep, err
	}
	if in.CPU < 0 || in.Tasks < 0 || in.MaxTasks < in.Tasks || in.Workers < 0 || in.ServiceTime < 0 || in.VUs < 0 || in.RPS < 0 {
		return rep, fmt.Errorf("negative figure, or --max-tasks below --tasks")
	}
	st := in.ServiceTime.Seconds()

	// Workers and what they serve.
	w := Section{Title: "Capacity"}
	rep.Workers = in.Workers
	if rep.Workers == 0 {
		rep.Workers = int(2*math.Ceil(in.CPU) + 1)
		w.Lines = append(w.Lines, fmt.Sprintf("workers per task = 2 × cpu + 1 = 2 × %s + 1 = %d   (gunicorn's sync workers, as the practical deploys)", cli.FormatNumber(math.Ceil(in.CPU)), rep.Workers))
	} else {
		w.Lines = append(w.Lines, fmt.Sprintf("workers per task = %d (given)", rep.Workers))
	}
	from := ""
	if in.ServiceTimeFrom != "" {
		from = "   (" + in.ServiceTimeFrom + ")"
	}
	w.Lines = append(w.Lines, "service time     = "+fmtSeconds(st)+from)
	perWorker := 1 / st
	rep.Capacity = float64(in.Tasks*rep.Workers) * perWorker
	w.Lines = append(w.Lines,
		fmt.Sprintf("per worker       = 1 / %s = %s req/s", fmtSeconds(st), cli.FormatNumber(perWorker)),
		fmt.Sprintf("capacity         = tasks × workers / service time = %d × %d / %s = %s req/s", in.Tasks, rep.Workers, fmtSeconds(st), cli.FormatNumber(rep.Capacity)))

	// The load.
	o := Section{Title: "Offered load"}
	switch {
	case in.RPS > 0:
		rep.Offered = in.RPS
		o.Lines = append(o.Lines, fmt.Sprintf("offered          = %s req/s (given)", cli.FormatNumber(in.RPS)))
	case in.VUs > 0:
		rep.Offered = float64(in.VUs) / (in.Think.Seconds() + st)
		o.Lines = append(o.Lines, fmt.Sprintf("offered          = VUs / (think + service) = %d / (%s + %s) = %s req/s",
			in.VUs, fmtSeconds(in.Think.Seconds()), fmtSeconds(st), cli.FormatNumber(rep.Offered)))
	case in.Scenario == "planners-and-studiers":
		// Studiers: one GET, then sleep(120), at the peak of 2500 VUs.
		// Planners: POST, sleep(10), DELETE, sleep(10), 20 VUs.
		studiers := 2500 / (120 + st)
		planners := 20 * 2 / (20 + 2*st)
		rep.Offered = studiers + planners
		o.Lines = append(o.Lines,
			fmt.Sprintf("studiers         = 2500 VUs × 1 request / (120 s sleep + %s) = %s req/s   (at the ramp's peak)", fmtSeconds(st), cli.FormatNumber(studiers)),
			fmt.Sprintf("planners         = 20 VUs × 2 requests / (10 s + 10 s sleep + 2 × %s) = %s req/s", fmtSeconds(st), cli.FormatNumber(planners)),
			fmt.Sprintf("offered          = %s + %s = %s req/s", cli.FormatNumber(studiers), cli.FormatNumber(planners), cli.FormatNumber(rep.Offered)))
	case in.Scenario == "website":
		// Locust's WebsiteUser: 50 users by default, waiting 5 to 15 s.
		rep.Offered = 50 / (10 + st)
		o.Lines = append(o.Lines, fmt.Sprintf("offered          = 50 users / (10 s mean wait + %s) = %s req/s   (Locust's min_wait 5 s, max_wait 15 s)", fmtSeconds(st), cli.FormatNumber(rep.Offered)))
	default:
		return rep, fmt.Errorf("scenario %q: want planners-and-studiers or website, or give --vus with --think, or --rps", in.Scenario)
	}
	util := rep.Offered / rep.Capacity
	busy := rep.Offered * st
	o.Lines = append(o.Lines,
		fmt.Sprintf("busy workers     = offered × service time = %s × %s = %s of %d   (Little's law)", cli.FormatNumber(rep.Offered), fmtSeconds(st), cli.FormatNumber(busy), in.Tasks*rep.Workers),
		fmt.Sprintf("utilisation      = offered / capacity = %s / %s = %.0f%%", cli.FormatNumber(rep.Offered), cli.FormatNumber(rep.Capacity), 100*util))
	switch {
	case util > 1:
		o.Status, o.Verdict = StatusOver, fmt.Sprintf("the load needs %s tasks of this size; queues grow until requests time out", cli.FormatNumber(math.Ceil(rep.Offered/(float64(rep.Workers)*perWorker))))
	case util > Headroom:
		o.Status, o.Verdict = StatusWarn, fmt.Sprintf("less than %.0f%% headroom: a burst or a slower request tips it over", 100*(1-Headroom))
	default:
		o.Status, o.Verdict = StatusOK, "the tasks serve the load with headroom"
	}
	w.Status = StatusOK

	// Postgres connections.
	d := Section{Title: "Database connections"}
	mem := in.DBMemoryBytes
	memFrom := "given"
	if mem == 0 {
		gib, ok := DBInstanceMemory()[in.DBClass]
		if !ok {
			classes := make([]string, 0, len(DBInstanceMemory()))
			for k := range DBInstanceMemory() {
				classes = append(classes, k)
			}
			sort.Strings(classes)
			return rep, fmt.Errorf("unknown DB instance class %q: give --db-memory, or one of %s", in.DBClass, strings.Join(classes, ", "))
		}
		mem = gib * (1 << 30)
		memFrom = fmt.Sprintf("%s, %s GiB", in.DBClass, cli.FormatNumber(gib))
	}
	rep.MaxConnections = int(math.Min(math.Floor(mem/RDSBytesPerConnection), RDSMaxConnectionsCap))
	rep.PoolSum = in.MaxTasks * in.DBMaxConns
	d.Lines = append(d.Lines,
		fmt.Sprintf("max_connections  = LEAST(DBInstanceClassMemory / %d, %d) = LEAST(%.0f / %d, %d) = %d   (%s; RDS keeps part of the memory, so the real figure is lower)",
			RDSBytesPerConnection, RDSMaxConnectionsCap, mem, RDSBytesPerConnection, RDSMaxConnectionsCap, rep.MaxConnections, memFrom),
		fmt.Sprintf("pool sum         = max tasks × DB_MAX_CONNS = %d × %d = %d", in.MaxTasks, in.DBMaxConns, rep.PoolSum))
	switch {
	case rep.PoolSum > rep.MaxConnections:
		d.Status, d.Verdict = StatusOver, fmt.Sprintf("the pools may ask for %d connections more than Postgres allows: \"too many clients\" (53300) once they grow", rep.PoolSum-rep.MaxConnections)
	case float64(rep.PoolSum) > 0.9*float64(rep.MaxConnections):
		d.Status, d.Verdict = StatusWarn, "under 10% of max_connections left for migrations, operators and monitoring"
	default:
		d.Status, d.Verdict = StatusOK, fmt.Sprintf("%d connections to spare", rep.MaxConnections-rep.PoolSum)
	}

	// Redis clients.
	r := Section{Title: "Redis clients"}
	if in.RedisUnlimited {
		rep.RedisClients = -1
		bound := in.MaxTasks * in.MaxInflight
		r.Lines = append(r.Lines,
			"clients          = unbounded: REDIS_MAX_ACTIVE=unlimited dials whenever no idle connection is free",
			fmt.Sprintf("at worst         = max tasks × MAX_INFLIGHT = %d × %d = %d of ElastiCache's %d", in.MaxTasks, in.MaxInflight, bound, ElastiCacheMaxClients))
		r.Status, r.Verdict = StatusWarn, "no bound but MAX_INFLIGHT, and a new connection per request under load (see lab run redis-pool-unbounded)"
		if bound > ElastiCacheMaxClients {
			r.Status = StatusOver
		}
	} else {
		rep.RedisClients = in.MaxTasks * in.RedisMaxActive
		r.Lines = append(r.Lines, fmt.Sprintf("clients          = max tasks × REDIS_MAX_ACTIVE = %d × %d = %d of ElastiCache's %d",
			in.MaxTasks, in.RedisMaxActive, rep.RedisClients, ElastiCacheMaxClients))
		if rep.RedisClients > ElastiCacheMaxClients {
			r.Status, r.Verdict = StatusOver, "more clients than ElastiCache accepts"
		} else {
			r.Status, r.Verdict = StatusOK, "well within ElastiCache's limit"
		}
	}
	rep.Sections = []Section{w, o, d, r}
	return rep, nil
}

// Write prints the arithmetic, section by section, with verdicts.
func Write(out io.Writer, rep Report) error {
	fmt.Fprintln(out, "Back of the envelope (the TaskOverflow load-testing practical, week 8)")
	for _, s := range rep.Sections {
		fmt.Fprintf(out, "\n%s\n", s.Title)
		for _, l := range s.Lines {
			fmt.Fprintf(out, "  %s\n", l)
		}
		if s.Verdict != "" {
			fmt.Fprintf(out, "  %s: %s\n", s.Status, s.Verdict)
		}
	}
	_, err := fmt.Fprintln(out)
	return err
}

func fmtSeconds(s float64) string {
	if s < 1 {
		return cli.FormatNumber(s*1000) + " ms"
	}
	return cli.FormatNumber(s) + " s"
}

// TFVars is what a Terraform variables file of this project's terraform/
// sets that the arithmetic uses.
type TFVars struct {
	TaskCPU         int // CPU units, 1024 = 1 vCPU
	DesiredCount    int
	MaxCount        int
	DBMaxConns      int
	RedisMaxActive  string // a number or "unlimited"
	MaxInflight     int
	DBInstanceClass string
}

// ReadTFVars parses a .tfvars file (HCL attributes) and returns the
// variables the arithmetic uses; others are ignored. It returns an error
// naming the file and the attribute that is not valid HCL or of the wrong type.
func ReadTFVars(path string, src []byte) (TFVars, error) {
	var v TFVars
	f, diags := hclparse.NewParser().ParseHCL(src, path)
	if diags.HasErrors() {
		return v, diags
	}
	attrs, diags := f.Body.JustAttributes()
	if diags.HasErrors() {
		return v, diags
	}
	ints := map[string]*int{
		"task_cpu": &v.TaskCPU, "desired_count": &v.DesiredCount, "max_count": &v.MaxCount,
		"db_max_conns": &v.DBMaxConns, "max_inflight": &v.MaxInflight,
	}
	strs := map[string]*string{"redis_max_active": &v.RedisMaxActive, "db_instance_class": &v.DBInstanceClass}
	for name, a := range attrs {
		val, diags := a.Expr.Value(nil)
		if diags.HasErrors() {
			return v, diags
		}
		if p, ok := ints[name]; ok {
			if err := gocty.FromCtyValue(val, p); err != nil {
				return v, attrError(path, a, "want a whole number")
			}
		}
		if p, ok := strs[name]; ok {
			// redis_max_active is a string, but a bare number reads as well.
			if val.Type() == cty.Number {
				bf := val.AsBigFloat()
				*p = bf.Text('f', -1)
				continue
			}
			if err := gocty.FromCtyValue(val, p); err != nil {
				return v, attrError(path, a, "want a string")
			}
		}
	}
	return v, nil
}

func attrError(path string, a *hcl.Attribute, want string) error {
	return fmt.Errorf("%s:%d: %s: %s", path, a.Range.Start.Line, a.Name, want)
}

// Apply sets in's figures from the tfvars where in does not set them.
func (v TFVars) Apply(in Input) (Input, error) {
	if in.CPU == 0 && v.TaskCPU > 0 {
		in.CPU = float64(v.TaskCPU) / 1024
	}
	if in.Tasks == 0 && v.DesiredCount > 0 {
		in.Tasks = v.DesiredCount
	}
	if in.MaxTasks == 0 && v.MaxCount > 0 {
		in.MaxTasks = max(v.MaxCount, in.Tasks)
	}
	if in.DBMaxConns == 0 && v.DBMaxConns > 0 {
		in.DBMaxConns = v.DBMaxConns
	}
	if in.MaxInflight == 0 && v.MaxInflight > 0 {
		in.MaxInflight = v.MaxInflight
	}
	if in.DBClass == "" && in.DBMemoryBytes == 0 && v.DBInstanceClass != "" {
		in.DBClass = v.DBInstanceClass
	}
	if in.RedisMaxActive == 0 && !in.RedisUnlimited && v.RedisMaxActive != "" {
		if err := in.SetRedisMaxActive(v.RedisMaxActive); err != nil {
			return in, fmt.Errorf("redis_max_active: %w", err)
		}
	}
	return in, nil
}

// SetRedisMaxActive reads REDIS_MAX_ACTIVE's syntax, as the server does
// (config.ParseRedisMaxActive): a positive number or "unlimited".
func (in *Input) SetRedisMaxActive(s string) error {
	n, unlimited, err := config.ParseRedisMaxActive(s)
	if err != nil {
		return fmt.Errorf("%q: %w", s, err)
	}
	in.RedisMaxActive, in.RedisUnlimited = n, unlimited
	return nil
}

// ParseBytes reads a memory size such as "1GiB", "512MiB", "2GB" or a
// number of bytes.
func ParseBytes(s string) (float64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"G", 1 << 30}, {"M", 1 << 20}, {"B", 1}}
	t := strings.TrimSpace(s)
	for _, u := range units {
		if num, ok := strings.CutSuffix(t, u.suffix); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			if err != nil || f <= 0 {
				return 0, fmt.Errorf("memory %q: want a size such as 1GiB or 512MiB", s)
			}
			return f * u.mult, nil
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f <= 0 {
		return 0, fmt.Errorf("memory %q: want a size such as 1GiB or 512MiB", s)
	}
	return f, nil
}
