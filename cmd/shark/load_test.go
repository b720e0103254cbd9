package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/dpop"
)

// The load generator's proofs are what a server accepts: each passes every
// rule of the server's own validator, with its own jti, and a proof for
// another URL or method does not.
func TestLoadProofsValidate(t *testing.T) {
	p, err := newProver()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	v := dpop.Validator{Now: func() time.Time { return now }}
	req := dpop.Request{Method: "POST", URL: "http://127.0.0.1:8080/oauth/token"}
	seen := map[string]bool{}
	var jkt string
	for range 20 {
		raw, err := p.proof("POST", req.URL, now)
		if err != nil {
			t.Fatal(err)
		}
		got, err := v.Validate(raw, req)
		if err != nil {
			t.Fatalf("proof %s: %v", raw, err)
		}
		if seen[got.JTI] || (jkt != "" && got.JKT != jkt) {
			t.Fatalf("jti %q repeated or key changed (%s, %s)", got.JTI, got.JKT, jkt)
		}
		seen[got.JTI], jkt = true, got.JKT
	}
	raw, _ := p.proof("POST", "http://127.0.0.1:8080/oauth/revoke", now)
	if _, err := v.Validate(raw, req); err == nil || !strings.Contains(err.Error(), "htu") {
		t.Fatalf("a proof for another URL: %v", err)
	}
	raw, _ = p.proof("GET", req.URL, now)
	if _, err := v.Validate(raw, req); err == nil {
		t.Fatal("a proof for another method was accepted")
	}
}

// shark load refuses targets that are not loopback.
func TestLoadRefusesOtherHosts(t *testing.T) {
	if err := requireLoopback(context.Background(), "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if err := requireLoopback(context.Background(), "192.0.2.1"); err == nil {
		t.Fatal("192.0.2.1 accepted as a load target")
	}
}
