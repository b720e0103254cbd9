package oauth

// The protocol vocabulary: every OAuth name this server reads or writes,
// typed so that a grant type cannot be passed where an auth method is
// expected. Packages that need one of these values take it from here; the
// lists of what each endpoint accepts are built from these constants next to
// the code that implements them (TokenAuthMethods below, token.GrantTypes,
// register's and admin's registrable values).

// GrantType is a grant_type value (RFC 6749 §4, RFC 8693, RFC 7523, RFC 8628).
type GrantType string

const (
	GrantClientCredentials GrantType = "client_credentials"
	GrantTokenExchange     GrantType = "urn:ietf:params:oauth:grant-type:token-exchange"
	GrantAuthorizationCode GrantType = "authorization_code"
	GrantRefreshToken      GrantType = "refresh_token"
	GrantJWTBearer         GrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	GrantDeviceCode        GrantType = "urn:ietf:params:oauth:grant-type:device_code"
)

// AuthMethod is a client authentication method, a
// token_endpoint_auth_method value (RFC 7591 §2, RFC 7523).
type AuthMethod string

const (
	SecretBasic   AuthMethod = "client_secret_basic"
	SecretPost    AuthMethod = "client_secret_post"
	PrivateKeyJWT AuthMethod = "private_key_jwt"
	// AuthNone is a public client's: identified by client_id, never
	// authenticated (RFC 6749 §2.1).
	AuthNone AuthMethod = "none"
)

// AssertionType is the client_assertion_type of RFC 7523 §2.2.
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// TokenType is the token_type of a token response or of an introspection
// answer (RFC 6749 §7.1, RFC 6750, RFC 9449 §5).
type TokenType string

const (
	TokenBearer TokenType = "Bearer"
	TokenDPoP   TokenType = "DPoP"
)

// TokenTypeID is a token type identifier of RFC 8693 §3: subject_token_type,
// actor_token_type, requested_token_type, issued_token_type.
type TokenTypeID string

const (
	AccessTokenType  TokenTypeID = "urn:ietf:params:oauth:token-type:access_token"
	RefreshTokenType TokenTypeID = "urn:ietf:params:oauth:token-type:refresh_token"
)

// ResponseType is a response_type value of the authorization endpoint
// (RFC 6749 §3.1.1); OAuth 2.1 keeps only code.
type ResponseType string

const ResponseCode ResponseType = "code"

// ChallengeMethod is a PKCE code_challenge_method (RFC 7636 §4.3). Only
// S256 is accepted; plain is named so that it can be refused by name.
type ChallengeMethod string

const (
	ChallengeS256  ChallengeMethod = "S256"
	ChallengePlain ChallengeMethod = "plain"
)

// Strings converts a list of names for the places that hold plain strings
// (store records, JSON documents).
func Strings[T ~string](names []T) []string {
	if names == nil {
		return nil
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = string(n)
	}
	return out
}
