// Command admin is the admin Lambda function; its handler is built by
// adminfn.New, and it links only that function's packages (shared/app/core).
package main

import (
	"github.com/sharkauth/serverless/shared/app/adminfn"
	"github.com/sharkauth/serverless/shared/app/core"
)

func main() { core.Lambda(adminfn.New) }
