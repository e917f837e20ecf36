package capacity

import (
	"bytes"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/config"
)

// The practical's own figures: a 1 vCPU task gives gunicorn 2*1+1 = 3
// workers, its fix of 4 vCPU gives 9; RDS's formula on a db.t3.micro's
// 1 GiB gives 1073741824/9531392 = 112 connections.
func TestCapacitySeedArithmetic(t *testing.T) {
	tests := []struct {
		name        string
		in          Input
		workers     int
		capacity    float64
		offered     float64
		maxConns    int
		poolSum     int
		ok          bool
		sectionWant map[string]Status
	}{
		{
			// The defaults: the practical's 1 vCPU task and load.
			name: "practical", in: Input{},
			workers: 3, capacity: 30, offered: 2500/120.1 + 40/20.2, maxConns: 112, poolSum: 10, ok: true,
			sectionWant: map[string]Status{"Offered load": StatusWarn, "Database connections": StatusOK},
		},
		{
			// The handout's fix: 4 vCPU.
			name: "four vCPU", in: Input{CPU: 4, ServiceTime: 100 * time.Millisecond},
			workers: 9, capacity: 90, offered: 2500/120.1 + 40/20.2, maxConns: 112, poolSum: 10, ok: true,
			sectionWant: map[string]Status{"Offered load": StatusOK},
		},
		{
			// A slow service time: the load needs more than the task serves.
			name: "slow requests", in: Input{ServiceTime: time.Second},
			workers: 3, capacity: 3, offered: 2500/121.0 + 40/22.0, maxConns: 112, poolSum: 10, ok: false,
			sectionWant: map[string]Status{"Offered load": StatusOver},
		},
		{
			// Four tasks of 30 connections on a db.t3.micro: 120 > 112.
			name: "pool sum over max_connections", in: Input{Tasks: 1, MaxTasks: 4, DBMaxConns: 30},
			workers: 3, capacity: 30, offered: 2500/120.1 + 40/20.2, maxConns: 112, poolSum: 120, ok: false,
			sectionWant: map[string]Status{"Database connections": StatusOver},
		},
		{
			// 104 of 112: no room left for operators.
			name: "pool sum near max_connections", in: Input{MaxTasks: 4, Tasks: 4, DBMaxConns: 26},
			workers: 3, capacity: 120, offered: 2500/120.1 + 40/20.2, maxConns: 112, poolSum: 104, ok: true,
			sectionWant: map[string]Status{"Database connections": StatusWarn},
		},
		{
			// The formula's cap.
			name: "large database", in: Input{DBMemoryBytes: 512 << 30, VUs: 100, Think: 9900 * time.Millisecond},
			workers: 3, capacity: 30, offered: 10, maxConns: 5000, poolSum: 10, ok: true,
		},
		{
			name: "given load", in: Input{RPS: 45, DBClass: "db.t3.large"},
			workers: 3, capacity: 30, offered: 45, maxConns: 901, poolSum: 10, ok: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Compute(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Workers != tt.workers || !near(rep.Capacity, tt.capacity) || !near(rep.Offered, tt.offered) ||
				rep.MaxConnections != tt.maxConns || rep.PoolSum != tt.poolSum || rep.OK() != tt.ok {
				t.Errorf("got workers %d capacity %v offered %v max_connections %d pool sum %d ok %v;\nwant %d %v %v %d %d %v",
					rep.Workers, rep.Capacity, rep.Offered, rep.MaxConnections, rep.PoolSum, rep.OK(),
					tt.workers, tt.capacity, tt.offered, tt.maxConns, tt.poolSum, tt.ok)
			}
			for _, s := range rep.Sections {
				if want, ok := tt.sectionWant[s.Title]; ok && s.Status != want {
					t.Errorf("%s: got %s, want %s (%s)", s.Title, s.Status, want, s.Verdict)
				}
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6*math.Max(1, math.Abs(b)) }

func TestCapacityShowsArithmetic(t *testing.T) {
	rep, err := Compute(Input{MaxTasks: 4, Tasks: 1, DBMaxConns: 30})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Write(&out, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"workers per task = 2 × cpu + 1 = 2 × 1 + 1 = 3",
		"LEAST(1073741824 / 9531392, 5000) = 112",
		"pool sum         = max tasks × DB_MAX_CONNS = 4 × 30 = 120",
		"OVER: the pools may ask for 8 connections more than Postgres allows",
		"2500 VUs × 1 request / (120 s sleep + 100 ms)",
		"of ElastiCache's 65000",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestCapacityRedisUnlimited(t *testing.T) {
	in := Input{MaxTasks: 300, Tasks: 1}
	if err := in.SetRedisMaxActive("unlimited"); err != nil {
		t.Fatal(err)
	}
	rep, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	redis := rep.Sections[3]
	// 300 tasks × 256 in flight = 76,800 > 65,000.
	if rep.RedisClients != -1 || redis.Status != StatusOver {
		t.Errorf("got clients %d status %s, want unbounded and over ElastiCache's limit", rep.RedisClients, redis.Status)
	}
	if err := in.SetRedisMaxActive("0"); err == nil {
		t.Error("REDIS_MAX_ACTIVE 0: got no error, want one (unlimited must be spelled out)")
	}
}

// The pools' defaults are the server's own, and REDIS_MAX_ACTIVE reads as
// the server reads it (`UNLIMITED` in any case).
func TestDefaultsAreTheServers(t *testing.T) {
	server, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	in, err := Input{}.Defaults()
	if err != nil {
		t.Fatal(err)
	}
	if in.DBMaxConns != int(server.DB.MaxConns) || in.RedisMaxActive != server.Redis.MaxActive || in.MaxInflight != server.MaxInflight {
		t.Errorf("got DB %d, Redis %d, in flight %d; want the server's %d, %d, %d",
			in.DBMaxConns, in.RedisMaxActive, in.MaxInflight, server.DB.MaxConns, server.Redis.MaxActive, server.MaxInflight)
	}
	for _, v := range []string{"unlimited", "UNLIMITED", "Unlimited"} {
		var in Input
		if err := in.SetRedisMaxActive(v); err != nil || !in.RedisUnlimited {
			t.Errorf("%s: got unlimited %v, error %v; want unlimited, as the server reads it", v, in.RedisUnlimited, err)
		}
	}
}

func TestCapacityRejects(t *testing.T) {
	for name, in := range map[string]Input{
		"unknown class":         {DBClass: "db.x9.huge"},
		"unknown scenario":      {Scenario: "stampede"},
		"max tasks below tasks": {Tasks: 3, MaxTasks: 2},
	} {
		if _, err := Compute(in); err == nil {
			t.Errorf("%s: got no error", name)
		}
	}
}

// The project's example variables: a 1 vCPU task, one of them, up to
// four, pools of 10 on a db.t3.micro.
func TestReadTFVarsExample(t *testing.T) {
	path := "../../terraform/terraform.tfvars.example"
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ReadTFVars(path, src)
	if err != nil {
		t.Fatal(err)
	}
	want := TFVars{TaskCPU: 1024, DesiredCount: 1, MaxCount: 4, DBMaxConns: 10, RedisMaxActive: "32", MaxInflight: 256, DBInstanceClass: "db.t3.micro"}
	if v != want {
		t.Fatalf("got %+v, want %+v", v, want)
	}
	in, err := v.Apply(Input{DBMaxConns: 40})
	if err != nil {
		t.Fatal(err)
	}
	// Flags win over the file: 4 tasks × 40 = 160 > 112.
	rep, err := Compute(in)
	if err != nil {
		t.Fatal(err)
	}
	if rep.PoolSum != 160 || rep.OK() {
		t.Errorf("got pool sum %d ok %v, want 160 and not ok", rep.PoolSum, rep.OK())
	}
}

func TestReadTFVarsErrors(t *testing.T) {
	for name, src := range map[string]string{
		"not HCL":         "task_cpu = = 3",
		"wrong type":      `task_cpu = "lots"`,
		"redis not valid": `redis_max_active = "many"`,
	} {
		v, err := ReadTFVars("x.tfvars", []byte(src))
		if err == nil {
			_, err = v.Apply(Input{})
		}
		if err == nil {
			t.Errorf("%s: got no error", name)
		}
	}
	v, err := ReadTFVars("x.tfvars", []byte("redis_max_active = 64\nunrelated = [1, 2]\n"))
	if err != nil || v.RedisMaxActive != "64" {
		t.Errorf("got %+v, %v; want redis_max_active 64 read from a number", v, err)
	}
}

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		err  bool
	}{
		{"1GiB", 1 << 30, false},
		{"512MiB", 512 << 20, false},
		{"2GB", 2e9, false},
		{"1073741824", 1 << 30, false},
		{"lots", 0, true},
		{"-1GiB", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseBytes(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseBytes(%q): got %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
