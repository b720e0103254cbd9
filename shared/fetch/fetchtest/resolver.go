// Package fetchtest is the test kit of shared/fetch: a resolver that never
// leaves the process.
package fetchtest

import (
	"context"
	"fmt"
	"net"
)

// Resolver answers host lookups from a table (host to addresses) and refuses
// every other name, so no test lookup leaves the process. It satisfies
// fetch.Fetcher's Resolver.
type Resolver map[string][]string

// LookupIPAddr returns the table's addresses of host.
func (r Resolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	addrs, ok := r[host]
	if !ok {
		return nil, fmt.Errorf("fetchtest: no such host %s", host)
	}
	out := make([]net.IPAddr, 0, len(addrs))
	for _, a := range addrs {
		out = append(out, net.IPAddr{IP: net.ParseIP(a)})
	}
	return out, nil
}
