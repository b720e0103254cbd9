package resource_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/sharkauth/serverless/sdk/go/resource"
)

// The README's example: protect an MCP endpoint and serve the metadata.
func ExampleVerifier_Middleware() {
	v, err := resource.New(resource.Config{
		Issuer:   "http://localhost:8080",
		Resource: "https://mcp.example.com/mcp",
		Scopes:   []string{"mcp:read"},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+v.MetadataPath(), v.MetadataHandler())
	mux.Handle("POST /mcp", v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := resource.ClaimsFrom(r.Context())
		fmt.Fprintf(w, "hello %s (agent %s, acting: %v)", c.Subject, c.AgentID, c.ActorChain())
	})))
	fmt.Println(v.MetadataPath())
	// Output: /.well-known/oauth-protected-resource/mcp
}
