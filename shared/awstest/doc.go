// Package awstest connects tests to the local AWS emulator (moto's server) that
// `make test` starts. It never skips: a test that needs the emulator fails
// loudly when it is not there.
package awstest
