package httpx

import (
	"net/http/httptest"
	"testing"
)

func TestAddressKey(t *testing.T) {
	cases := []struct{ in, want string }{
		{"198.51.100.7", "198.51.100.7"},
		{"::ffff:198.51.100.7", "198.51.100.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"not-an-ip", "not-an-ip"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got := AddressKey(c.in); got != c.want {
				t.Fatalf("got %q", got)
			}
		})
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "[2001:db8::1]:443"
	if got := ClientAddress(r); got != "2001:db8::1" {
		t.Fatalf("ClientAddress %q", got)
	}
}
