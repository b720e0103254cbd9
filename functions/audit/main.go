// Command audit is the audit Lambda function; its handler is built by
// auditfn.New, and it links only that function's packages (shared/app/core).
package main

import (
	"github.com/sharkauth/serverless/shared/app/auditfn"
	"github.com/sharkauth/serverless/shared/app/core"
)

func main() { core.Lambda(auditfn.New) }
