// Package serverless is the repository root. It embeds template.yaml, so that
// the shark binary serves the deployment's own routes from any directory.
package serverless

import _ "embed"

// Template is template.yaml, the AWS SAM template of the stack.
//
//go:embed template.yaml
var Template []byte
