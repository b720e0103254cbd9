package httpx

import (
	"net"
	"net/http"
	"net/netip"
)

// ClientAddress is the request's client address: API Gateway's sourceIp,
// which the adapter (and the local runner) put in RemoteAddr.
func ClientAddress(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// AddressKey is the name a rate counter gives a client address: an IPv4
// address, or the /64 of an IPv6 one (a single host usually holds a whole
// /64, so counting its addresses one by one would let it walk past a limit).
func AddressKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
