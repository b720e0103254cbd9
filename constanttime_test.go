package serverless

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// camelWord splits a Go name into its words (RATHash: RAT, Hash).
var camelWord = regexp.MustCompile(`[A-Z]+(?:[a-z0-9]+)?|[a-z0-9]+`)

// secretish reports whether a name is that of a secret or a digest of one (a
// hash, a secret, a registration access token, a MAC), not of a setting about
// one (SecretBasic, platformSecretSize).
func secretish(name string) bool {
	words := camelWord.FindAllString(name, -1)
	if len(words) == 0 {
		return false
	}
	switch strings.ToLower(words[len(words)-1]) {
	case "size", "basic", "post", "method", "methods", "len", "prefix", "kind", "type":
		return false
	}
	for _, w := range words {
		switch strings.ToLower(w) {
		case "hash", "secret", "digest", "rat", "rathash", "mac":
			return true
		}
	}
	return false
}

// TestSecretsCompareInConstantTime fails when code outside tests compares a
// secret or a digest with ==, !=, bytes.Equal, bytes.Compare or
// strings.EqualFold: every such comparison goes through ids.Matches (or
// crypto/subtle), whose time does not depend on where the inputs differ.
// Comparing a length (len(x.Hash) == 0) or with nil is not such a comparison.
func TestSecretsCompareInConstantTime(t *testing.T) {
	fset := token.NewFileSet()
	var found []string
	for _, root := range []string{"shared", "cmd", "local", "functions", "sdk"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			// Test kits (storetest, apptest, ...) are test code.
			if d.IsDir() && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasSuffix(d.Name(), "test")) {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.BinaryExpr:
					if (x.Op == token.EQL || x.Op == token.NEQ) && (secretOperand(x.X) || secretOperand(x.Y)) && !isNil(x.X) && !isNil(x.Y) && !isEmptyString(x.X) && !isEmptyString(x.Y) {
						found = append(found, fset.Position(x.Pos()).String())
					}
				case *ast.CallExpr:
					if sel, ok := x.Fun.(*ast.SelectorExpr); ok {
						if pkg, ok := sel.X.(*ast.Ident); ok && ((pkg.Name == "bytes" && (sel.Sel.Name == "Equal" || sel.Sel.Name == "Compare")) || (pkg.Name == "strings" && sel.Sel.Name == "EqualFold")) {
							for _, a := range x.Args {
								if secretOperand(a) {
									found = append(found, fset.Position(x.Pos()).String())
									break
								}
							}
						}
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range found {
		t.Errorf("%s: a secret or digest compared in variable time (use ids.Matches or subtle.ConstantTimeCompare)", p)
	}
}

// secretOperand reports whether e is a secret-named variable or field, or a
// conversion or slice of one (string(k.Hash), hex.EncodeToString(h)).
func secretOperand(e ast.Expr) bool {
	switch x := e.(type) {
	case *ast.Ident:
		return secretish(x.Name)
	case *ast.SelectorExpr:
		return secretish(x.Sel.Name)
	case *ast.ParenExpr:
		return secretOperand(x.X)
	case *ast.SliceExpr:
		return secretOperand(x.X)
	case *ast.IndexExpr:
		return secretOperand(x.X)
	case *ast.CallExpr:
		if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "len" {
			return false
		}
		for _, a := range x.Args {
			if secretOperand(a) {
				return true
			}
		}
	}
	return false
}

func isNil(e ast.Expr) bool { id, ok := e.(*ast.Ident); return ok && id.Name == "nil" }

func isEmptyString(e ast.Expr) bool {
	b, ok := e.(*ast.BasicLit)
	return ok && b.Kind == token.STRING && (b.Value == `""` || b.Value == "``")
}
