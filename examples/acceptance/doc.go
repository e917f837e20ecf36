// Package acceptance shows how to put "can one instance hold N connections?" into a Go
// acceptance suite: start the service as it will run in production (here the API as a child
// process with its real configuration), point conncheck at it, and assert on the verdict.
//
// Copy conns_test.go into your own suite and replace apiproc.Start with the address of the
// instance under test.
package acceptance
