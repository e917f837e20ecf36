package loadtests

import (
	"flag"
	"fmt"
	"io"
)

// clientFlags are the flags that choose the VUs' HTTP client and what it
// keeps of a body.
type clientFlags struct {
	kind    string
	maxBody int64
}

func (c *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.kind, "http-client", ClientLean,
		"VUs' HTTP `client`: lean (own HTTP/1.1 client, fastest), std (net/http's), h2 (net/http's, HTTP/2 only); a proxy in HTTP_PROXY/HTTPS_PROXY for the endpoint makes lean std")
	fs.Int64Var(&c.maxBody, "max-body", -1,
		"keep the first `N` bytes of each response body and drop the rest (still read and counted); 0 keeps none, -1 all")
}

// apply sets the options the flags and the environment's proxy say; the
// error is a usage error.
func (c *clientFlags) apply(opts *Options, getenv func(string) string) error {
	switch {
	case c.maxBody == 0:
		opts.DiscardBodies = true
	case c.maxBody > 0:
		opts.MaxBody = c.maxBody
	case c.maxBody < -1:
		return fmt.Errorf("--max-body %d: want a number of bytes, 0 for none or -1 for all", c.maxBody)
	}
	opts.HTTPClient = c.kind
	opts.Proxy = ProxyFromEnv(getenv)
	return nil
}

// say tells, once, when the client used is not the one asked for.
func (c *clientFlags) say(opts Options, prog string, stderr io.Writer) {
	if _, why := opts.HTTPClientUsed(); why != "" {
		fmt.Fprintf(stderr, "%s: %s\n", prog, why)
	}
}
