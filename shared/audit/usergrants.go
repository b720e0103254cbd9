package audit

// Event names of the user's grants (issue 22; for WIRE §8's list).
const (
	// CodeIssued: the authorize function issued an authorization code.
	CodeIssued = "oauth.code_issued"
	// CodeExchanged: a code was exchanged for tokens (authorization_code).
	CodeExchanged = "oauth.code_exchanged"
	// CodeReuseDetected: a used code was presented again; its family was revoked.
	CodeReuseDetected = "oauth.code_reuse_detected"
	// RefreshRotated: a refresh token was rotated (refresh_token).
	RefreshRotated = "oauth.refresh_rotated"
	// RefreshReuseDetected: a rotated refresh token was presented after the
	// grace; its family was revoked.
	RefreshReuseDetected = "oauth.refresh_reuse_detected"
	// ConsentGranted: a user allowed a client at a redirect URI.
	ConsentGranted = "consent.granted"
	// ConsentRevoked: a user's consent was revoked (admin API, or the
	// user's revoke-agents); every grant family issued under it with it.
	ConsentRevoked = "consent.revoked"
)
