// Command admin is the admin Lambda function; its handler is app.Admin.
package main

import "github.com/sharkauth/serverless/shared/app"

func main() { app.Lambda(app.Admin) }
