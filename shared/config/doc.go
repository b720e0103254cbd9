// Package config owns the typed configuration of every function and of the
// local runner, read from the environment and validated once.
package config
