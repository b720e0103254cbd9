// Command authorize is the authorize Lambda function; its handler is app.Authorize.
package main

import "github.com/sharkauth/serverless/shared/app"

func main() { app.Lambda(app.Authorize) }
