// Package admin owns the admin function's HTTP API: the platform operators' API
// (/platform/v1: tenants), each tenant's admin API (/api/v1, WIRE §7: agents,
// users, applications, admin keys, may-act grants, signing keys, bulk
// revocation), caller authentication by platform and admin keys, and the
// health check.
//
// Conventions of the /api/v1 handlers (one file per domain):
//
//   - The tenant comes from the resolver (tenant.From); an admin key is looked
//     up by its hash inside that tenant only, so a key of another tenant is
//     "invalid API key" like any unknown one. Scope "*" is required.
//   - Every change and its audit event (WIRE §8 names, actor = the admin key's
//     id, actor_type admin_key) are one store transaction. user.agents_revoked
//     names the user as actor, as the guides show.
//   - Bad input: unknown members ignored; a missing required member, a wrong
//     JSON type or an invalid value is 400 invalid_request naming the field
//     (invalid_jwk for a DPoP key); unknown ids 404; duplicates 409; bodies
//     over 1 MiB 413; never a 500.
//   - Lists: limit must be 1..200 (default 50); outside that range it is a 400,
//     not clamped. Agent and app lists page by limit/offset with "total"; users
//     and tokens page by an opaque cursor ("next_cursor", "has_more").
//   - Revocation never scans tokens (DESIGN §5): revoke-all and DELETE set the
//     agent's revoked-before time and active flag (L2), rotate-dpop-key
//     registers the new thumbprint (tokens bound to another key are inactive),
//     a user's cascade writes one marker (L3) then deactivates the agent
//     records in batches, bulk revoke adds a pattern to the tenant (L4), and an
//     emergency key rotation lists the old kid as revoked. The counts in the
//     answers are read from the token records for information only.
//     store.Decide is the one "is this token active?" decision.
package admin
