package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/taskoverflow-lab/taskoverflow/internal/cli"
	"github.com/taskoverflow-lab/taskoverflow/loadtests/conncheck"
)

const connsUsage = `Usage: loadtest conns [flags] HOST PORT

Opens N TCP connections to HOST:PORT, holds them, and says whether one instance can hold
them all. Exit status: 0 all established (and served, with --http), 1 fewer, 2 usage or
resolution error.

Flags (durations in ms take a plain number, or a Go duration such as 2s):
  -c, --connections N     connections to open (default 100)
  -s, --sleep MS          pause between two dials, in ms (default 10)
  -d, --dial-timeout MS   handshake timeout, in ms (default 5000)
  -i, --interval S        period of the progress lines, in seconds as tcpgoon's (default 1),
                          or a Go duration such as 500ms
      --hold DURATION     keep the connections open this long after the last dial (default 1s);
                          with --http, answers arriving after it are not counted
      --http PATH         send "GET PATH HTTP/1.1" on each connection and count the served ones
      --json              print the final report as JSON on stdout (progress goes to stderr)
      --warn-fd           start even when N does not fit in our RLIMIT_NOFILE (warn instead)
  -y, --assume-yes        do not ask before targeting an address that is not loopback
  -v, --verbose           log every connection event to stderr
  -h, --help              show this help
`

// connsOptions is a parsed "loadtest conns" command line.
type connsOptions struct {
	host, port string
	cfg        conncheck.Config
	assumeYes  bool
	verbose    bool
	json       bool
}

// runConns runs "loadtest conns" with the arguments after "conns" and returns the exit status:
// 0 when every connection was established (and served, with --http), 1 when fewer were, 2 on a
// usage or resolution error.
func runConns(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	opts, err := parseConns(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, connsUsage)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadtest conns: %v\nRun 'loadtest conns -h' for usage.\n", err)
		return 2
	}

	addr, err := conncheck.Resolve(ctx, opts.host)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest conns: %v\n", err)
		return 2
	}
	if !addr.IsLoopback() && !opts.assumeYes {
		ok, err := confirm(stdin, stderr, opts, addr.String())
		if err != nil {
			fmt.Fprintf(stderr, "loadtest conns: %v\n", err)
			return 2
		}
		if !ok {
			fmt.Fprintln(stderr, "loadtest conns: not confirmed, nothing dialed")
			return 2
		}
	}

	progress := stdout
	if opts.json {
		progress = stderr
	}
	level := slog.LevelWarn
	if opts.verbose {
		level = slog.LevelDebug
	}
	cfg := opts.cfg
	cfg.Host = opts.host
	cfg.Addr = addr
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg.OnStats = func(s conncheck.Stats) { fmt.Fprintln(progress, s) }

	report, err := conncheck.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest conns: %v\n", err)
		var fdErr *conncheck.FDLimitError
		if errors.As(err, &fdErr) {
			fmt.Fprintln(stderr, "loadtest conns: run with --warn-fd to try anyway")
		}
		return 2
	}

	if opts.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(report)
	} else {
		err = report.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadtest conns: write report: %v\n", err)
	}
	if report.Passed() {
		return 0
	}
	return 1
}

// parseConns parses the command line. Flags may come before, between or after HOST and PORT, as
// with tcpgoon. It returns flag.ErrHelp for -h, or an error naming the bad argument.
func parseConns(args []string) (connsOptions, error) {
	opts := connsOptions{}
	cfg := &opts.cfg
	cfg.Sleep = 10 * time.Millisecond
	cfg.DialTimeout = 5 * time.Second
	cfg.Interval = time.Second
	cfg.Hold = time.Second

	fs := flag.NewFlagSet("conns", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	for _, name := range []string{"c", "connections"} {
		fs.IntVar(&cfg.Connections, name, 100, "")
	}
	for _, name := range []string{"s", "sleep"} {
		fs.Var((*msDuration)(&cfg.Sleep), name, "")
	}
	for _, name := range []string{"d", "dial-timeout"} {
		fs.Var((*msDuration)(&cfg.DialTimeout), name, "")
	}
	for _, name := range []string{"i", "interval"} {
		fs.Var((*secDuration)(&cfg.Interval), name, "")
	}
	for _, name := range []string{"y", "assume-yes"} {
		fs.BoolVar(&opts.assumeYes, name, false, "")
	}
	for _, name := range []string{"v", "verbose"} {
		fs.BoolVar(&opts.verbose, name, false, "")
	}
	fs.Func("hold", "", func(v string) error {
		d, err := time.ParseDuration(v)
		if _, isNumber := strconv.ParseFloat(v, 64); err != nil && isNumber == nil {
			return fmt.Errorf("add a unit, such as %sms or %ss", v, v)
		}
		cfg.Hold = d
		return err
	})
	fs.StringVar(&cfg.HTTPPath, "http", "", "")
	fs.BoolVar(&opts.json, "json", false, "")
	fs.BoolVar(&cfg.WarnFD, "warn-fd", false, "")

	var positional []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return opts, err
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		positional = append(positional, rest[0])
		rest = rest[1:]
	}

	if len(positional) != 2 {
		return opts, fmt.Errorf("want HOST PORT, got %d argument(s)%s", len(positional), quoteAll(positional))
	}
	opts.host, opts.port = positional[0], positional[1]
	port, err := strconv.Atoi(opts.port)
	if err != nil {
		return opts, fmt.Errorf("port %q is not a number", opts.port)
	}
	cfg.Port = port

	switch {
	case opts.host == "":
		return opts, errors.New("empty host")
	case port < 1 || port > 65535:
		return opts, fmt.Errorf("port %d out of range 1-65535", port)
	case cfg.Connections < 1:
		return opts, fmt.Errorf("-c/--connections must be at least 1, got %d", cfg.Connections)
	case cfg.Sleep < 0:
		return opts, fmt.Errorf("-s/--sleep must not be negative, got %v", cfg.Sleep)
	case cfg.DialTimeout <= 0:
		return opts, fmt.Errorf("-d/--dial-timeout must be positive, got %v", cfg.DialTimeout)
	case cfg.Interval <= 0:
		return opts, fmt.Errorf("-i/--interval must be positive, got %v", cfg.Interval)
	case cfg.Hold < 0:
		return opts, fmt.Errorf("--hold must not be negative, got %v", cfg.Hold)
	case cfg.HTTPPath != "" && !strings.HasPrefix(cfg.HTTPPath, "/"):
		return opts, fmt.Errorf("--http path %q must start with /", cfg.HTTPPath)
	case strings.ContainsAny(cfg.HTTPPath, " \t\r\n"):
		return opts, fmt.Errorf("--http path %q must not contain spaces", cfg.HTTPPath)
	}
	return opts, nil
}

func quoteAll(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return ": " + strings.Join(args, " ")
}

// msDuration is a flag holding a duration written in milliseconds ("250") or as a Go duration
// ("250ms", "2s").
type msDuration time.Duration

func (d *msDuration) String() string { return time.Duration(*d).String() }

func (d *msDuration) Set(s string) error {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		*d = msDuration(time.Duration(ms) * time.Millisecond)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is neither milliseconds nor a duration", s)
	}
	*d = msDuration(v)
	return nil
}

// secDuration is a flag holding a duration written in seconds ("1", "0.5"), as tcpgoon's
// --interval, or as a Go duration ("500ms").
type secDuration time.Duration

func (d *secDuration) String() string { return time.Duration(*d).String() }

func (d *secDuration) Set(s string) error {
	if sec, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(sec) || math.IsInf(sec, 0) {
			return fmt.Errorf("%q is not a number of seconds", s)
		}
		*d = secDuration(time.Duration(sec * float64(time.Second)))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is neither seconds nor a duration", s)
	}
	*d = secDuration(v)
	return nil
}

// confirm asks on stderr whether to open connections to a target that is not loopback, and reads
// the answer from stdin. Without a terminal on stdin it refuses with an error.
func confirm(stdin io.Reader, stderr io.Writer, opts connsOptions, addr string) (bool, error) {
	if !cli.IsTerminal(stdin) {
		return false, fmt.Errorf("%s (%s) is not a loopback address and stdin is not a terminal to confirm; pass -y to proceed", opts.host, addr)
	}
	fmt.Fprintf(stderr, "Open %d connections to %s (%s) port %s? [y/N] ", opts.cfg.Connections, opts.host, addr, opts.port)
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return false, nil
	}
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes", nil
}
