// Command audit is the audit Lambda function; its handler is app.Audit.
package main

import "github.com/sharkauth/serverless/shared/app"

func main() { app.Lambda(app.Audit) }
