// Command jwks is the jwks Lambda function; its handler is app.Jwks.
package main

import "github.com/sharkauth/serverless/shared/app"

func main() { app.Lambda(app.Jwks) }
