// Package lab is the bottleneck lab's cases, and the running and judging of
// them: each documented incident is a Case that starts the service twice,
// once as it was when it broke and once as it should be, drives it with a
// bundled load plan or the connection check, and gives a Verdict computed
// from the measured figures: the symptom appears in the broken run and the
// fix removes it.
//
// A case run goes:
//
//	backing.Start (fresh Postgres and Redis on free loopback ports)
//	  -> apiproc.Start (the API binary, the setup's environment, fd limit,
//	     CPU limit from package cpulimit, applied as the process starts)
//	  -> sample.Sampler (package sample) once a second
//	  -> Workload (a bundled plan through package loadtests, or conncheck)
//	  -> the case's judge: figures of both runs, each with its Rule
//
// Every verdict is also checked against a control: the fixed run judged as
// if it were the broken one must not pass, or the case cannot tell a fix
// from a bug and the run fails.
//
// A student's exercise is a case's Exercise: the settings they may change.
// ParseSettings reads their env file strictly; Runner.Verify runs the
// shipped broken setup and theirs (StudentSetup), and JudgeStudent judges
// theirs by the case's rules plus rules that refuse a fix that changes other
// settings or does not carry the case's load.
//
// An exercise whose fix is in a load plan is a PlanExercise: the student
// edits exercises/NAME/main.go, a Go plan on loadtests.Main; the lab keeps
// the handout and the reference solution in plans/NAME. Runner.VerifyPlan
// builds the student's plan, runs the handout's and theirs as child
// processes (the generator's CPU limited when the exercise says so) against
// fresh API setups, and JudgePlan judges them by the exercise's rules plus
// rules that refuse a changed scenario or a smaller load.
//
// The lab's other jobs have packages of their own: sample (what the server
// sees), cpulimit (taskset and cgroup quotas), report (text, Markdown and
// HTML results), capacity (the back-of-the-envelope arithmetic) and trace
// (one request through the server's log).
package lab
