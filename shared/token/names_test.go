package token

import "github.com/sharkauth/serverless/shared/oauth"

// The wire names the tests send and expect, as plain strings.
const (
	GrantClientCredentials = string(oauth.GrantClientCredentials)
	GrantTokenExchange     = string(oauth.GrantTokenExchange)
	AccessTokenType        = string(oauth.AccessTokenType)
)
