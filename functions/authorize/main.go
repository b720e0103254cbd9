// Command authorize is the authorize Lambda function; its handler is built by
// authorizefn.New, and it links only that function's packages (shared/app/core).
package main

import (
	"github.com/sharkauth/serverless/shared/app/authorizefn"
	"github.com/sharkauth/serverless/shared/app/core"
)

func main() { core.Lambda(authorizefn.New) }
