// Package infra owns the deployment definitions shared by template.yaml and the
// tests: the table schema (table.yaml, the one place the table's properties are
// written down) and the script that runs commands against the local AWS
// emulator (moto.sh).
package infra
