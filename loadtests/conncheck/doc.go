// Package conncheck answers one question about a deployed service: can one instance hold N
// parallel TCP connections?
//
// Run opens N connections to host:port, with a pause between dials and a dial timeout, holds them
// for a while, and reports how many were established, closed by the peer, or failed (and why). It
// is a connection-level check, not an HTTP load test; the optional HTTP probe sends one request on
// each established connection to tell a connection the application really serves from one the
// kernel merely parked in the listen backlog.
//
// A check inside an acceptance test:
//
//	report, err := conncheck.Run(ctx, conncheck.Config{
//		Host:        "127.0.0.1",
//		Port:        6400,
//		Connections: 150,
//		Sleep:       time.Millisecond,
//		Hold:        2 * time.Second,
//		HTTPPath:    "/api/v1/health",
//	})
//	if err != nil {
//		t.Fatal(err) // the check could not start
//	}
//	if !report.Passed() {
//		t.Errorf("instance cannot hold 150 connections:\n%s", report.Text())
//	}
package conncheck
