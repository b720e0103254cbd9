// Package keys owns the tenants' signing keys (ES256, the default, and RS256
// for clients set to receive RS256 access tokens): generating them, sealing
// their private halves, opening sealed records into signers, and publishing the
// public halves as a JWKS (DESIGN §4, WIRE §4).
//
// The package does cryptography only. A [Sealer] turns a fresh P-256 (or RSA
// 2048) key into a
// [store.SigningKey] record and a record back into a [Key]; the domain store
// persists the records and owns their states (next → current → retired). Three
// sealers exist, one per mode:
//
//   - [Local] seals the PKCS#8 private key with AES-256-GCM under a 32-byte
//     master key file (the local runner's default).
//   - [Envelope] seals it under a KMS data key whose wrapped form is stored
//     beside it, bound to the tenant and kid by the KMS encryption context. A
//     function unwraps it once per container and key (see [Cache]); signing a
//     token then costs no KMS call.
//   - [KMS] never sees the private key: each signature is one KMS Sign call.
//
// Every JWS goes through go-jose v4: [Key.Signer] returns a jose.Signer, backed
// by the private key or, in kms mode, by a jose.OpaqueSigner over KMS Sign.
// Opened private keys are never printed, logged or put in errors.
package keys
