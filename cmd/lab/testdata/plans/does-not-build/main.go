// Command does-not-build is a plan with a type error, for the test of lab
// verify --plan's build error.
package main

func main() {
	var rate int = "200 per second"
	_ = rate
}
