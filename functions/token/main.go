// Command token is the token Lambda function; its handler is app.Token.
package main

import "github.com/sharkauth/serverless/shared/app"

func main() { app.Lambda(app.Token) }
