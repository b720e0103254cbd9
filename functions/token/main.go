// Command token is the token Lambda function; its handler is built by
// tokenfn.New, and it links only that function's packages (shared/app/core).
package main

import (
	"github.com/sharkauth/serverless/shared/app/core"
	"github.com/sharkauth/serverless/shared/app/tokenfn"
)

func main() { core.Lambda(tokenfn.New) }
