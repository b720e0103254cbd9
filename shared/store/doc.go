// Package store owns persistence: the narrow Table interface the two engines
// (dynamodb, embedded) implement, and the domain store over it, which is the
// only code that builds table keys and so applies the tenant to every one of
// them (keys.go).
package store
