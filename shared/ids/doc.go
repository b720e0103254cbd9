// Package ids owns identifiers and secrets: prefixed random ids, admin and
// platform keys, client secrets, their SHA-256 digests and constant-time
// comparison.
package ids
