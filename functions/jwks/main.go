// Command jwks is the jwks Lambda function; its handler is built by
// jwksfn.New, and it links only that function's packages (shared/app/core).
package main

import (
	"github.com/sharkauth/serverless/shared/app/core"
	"github.com/sharkauth/serverless/shared/app/jwksfn"
)

func main() { core.Lambda(jwksfn.New) }
