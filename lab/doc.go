// Package lab is the bottleneck lab: each documented incident is a Case that
// starts the service twice, once as it was when it broke and once as it
// should be, drives it with a bundled load plan or the connection check,
// samples what the server sees once a second, and gives a verdict computed
// from the measured figures: the symptom appears in the broken run and the
// fix removes it.
//
// A case run goes:
//
//	backing.Start (fresh Postgres and Redis on free loopback ports)
//	  -> apiproc.Start (the API binary, the setup's environment, fd limit, CPU)
//	  -> Sampler (the API's /metrics, Redis INFO, pg_stat_activity, /proc/PID,
//	     a load balancer's health check) once a second
//	  -> Workload (a bundled plan through package loadtests, or conncheck)
//	  -> the case's judge: figures of both runs, each with its rule
//
// and writes its results under lab-results/<time>/CASE/: each run's
// summary.json, samples.jsonl and the API's log, report.md and a
// self-contained report.html with both runs' charts on one page.
//
// Every verdict is also checked against a control: the fixed run judged as
// if it were the broken one must not pass, or the case cannot tell a fix
// from a bug and the run fails.
//
// Capacity holds the back-of-the-envelope arithmetic of the practical, and
// Trace follows one request through the server's JSON log lines.
package lab
