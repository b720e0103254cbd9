// Command register is the register Lambda function; its handler is app.Register.
package main

import "github.com/sharkauth/serverless/shared/app"

func main() { app.Lambda(app.Register) }
