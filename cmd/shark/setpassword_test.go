package main

import (
	"strings"
	"testing"
)

// shark user set-password USER_ID takes the password from
// SHARK_USER_PASSWORD (never an argument: it would show in ps and history).
func TestUserSetPassword(t *testing.T) {
	s := newStack(t)
	env := s.env()
	r := s.shark(t, env, "user", "create", "--email", "alice@example.com")
	userID := field(t, r.stdout, "user")
	r = s.shark(t, env, "user", "set-password", userID)
	if r.code == 0 || !strings.Contains(r.stderr, "SHARK_USER_PASSWORD") {
		t.Fatalf("without the variable: %+v", r)
	}
	r = s.shark(t, s.env("SHARK_USER_PASSWORD", "correct horse battery"), "user", "set-password", userID)
	if r.code != 0 || field(t, r.stdout, "user") != userID || field(t, r.stdout, "has password") != "true" || strings.Contains(r.stdout+r.stderr, "correct horse") {
		t.Fatalf("set-password: %+v", r)
	}
	r = s.shark(t, s.env("SHARK_USER_PASSWORD", "x"), "user", "set-password", "usr_nope")
	if r.code != 1 || !strings.Contains(r.stderr, "404") {
		t.Fatalf("unknown user: %+v", r)
	}
}
