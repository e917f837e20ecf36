package api

import (
	"net/http"
	"net/netip"
	"strings"
)

// sessionCookie is the session cookie carrying value for maxAge seconds (-1
// clears it). It is Secure whenever the client's request reached TLS, here or
// at a trusted load balancer, so a browser never sends it back in clear.
func (h *handler) sessionCookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: SessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: overTLS(r, h.opts.TrustedProxies),
	}
}

// overTLS reports whether the client's request came over TLS: a TLS connection
// to this server, or X-Forwarded-Proto: https set by a peer within trusted (the
// load balancer that ended TLS). The header from any other peer is ignored: a
// client could send it over plain HTTP.
func overTLS(r *http.Request, trusted []netip.Prefix) bool {
	if r.TLS != nil {
		return true
	}
	proto := r.Header.Values("X-Forwarded-Proto")
	if len(proto) == 0 || !fromTrusted(r.RemoteAddr, trusted) {
		return false
	}
	// A proxy appends what it saw: the last value is the nearest proxy's.
	last := proto[len(proto)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	return strings.EqualFold(strings.TrimSpace(last), "https")
}

// fromTrusted reports whether remoteAddr (host:port, as in http.Request) is
// within one of trusted.
func fromTrusted(remoteAddr string, trusted []netip.Prefix) bool {
	if len(trusted) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return false
	}
	addr := ap.Addr().Unmap()
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
