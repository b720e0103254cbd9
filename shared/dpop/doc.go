// Package dpop owns DPoP proofs (RFC 9449, WIRE §6): parsing and validating
// a proof against the request it came with (typ, allow-listed asymmetric
// alg, public-only jwk, signature, htm, normalised htu, iat window, jti,
// ath, nonce) and the RFC 7638 thumbprint that binds tokens to its key.
// Replay is recorded by the caller, as a store.ReplayMark of kind "dpop", in
// the transaction that uses the proof.
package dpop
