// Package embedded is the durable single-file storage engine (bbolt) behind
// table.Table: the default for the local stack, so a restarted stack keeps its
// tenants, agents and keys.
package embedded
