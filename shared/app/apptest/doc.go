// Package apptest owns the served local stack that HTTP-level tests of every
// package share (see apptest.go).
package apptest
