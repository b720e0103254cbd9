// Command register is the register Lambda function; its handler is built by
// registerfn.New, and it links only that function's packages (shared/app/core).
package main

import (
	"github.com/sharkauth/serverless/shared/app/core"
	"github.com/sharkauth/serverless/shared/app/registerfn"
)

func main() { core.Lambda(registerfn.New) }
