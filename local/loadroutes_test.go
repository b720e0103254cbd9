package local

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadRoutes(t *testing.T) {
	got, err := LoadRoutes(filepath.Join("testdata", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Route{
		{"echo", "ANY", "/echo/{proxy+}"},
		{"echo", "GET", "/items/{id}"},
		{"status", "GET", "/status"},
		{"status", "POST", "/status"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("LoadRoutes =\n%v\nwant\n%v", got, want)
	}
}

func TestFunctionName(t *testing.T) {
	tests := []struct {
		id, want string
		ok       bool
	}{
		{"JwksFunction", "jwks", true},
		{"AdminFunction", "admin", true},
		{"TokenFunction", "token", true},
		{"Function", "", false},
		{"jwksFunction", "", false},
		{"Jwks", "", false},
		{"JwksFunctionRole", "", false},
	}
	for _, tt := range tests {
		got, ok := functionName(tt.id)
		if got != tt.want || ok != tt.ok {
			t.Errorf("functionName(%q) = %q, %v; want %q, %v", tt.id, got, ok, tt.want, tt.ok)
		}
	}
}

// writeTemplate writes a template whose Resources section is resources.
func writeTemplate(t *testing.T, resources string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "template.yaml")
	body := "Transform: AWS::Serverless-2016-10-31\nResources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n" +
		"  Logs:\n    Type: AWS::Logs::LogGroup\n" + resources
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// function is a function resource with one HttpApi event of the given properties.
func function(id, props string) string {
	return "  " + id + ":\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: .\n      Events:\n" +
		"        E:\n          Type: HttpApi\n          Properties: " + props + "\n"
}

func TestLoadRoutesErrors(t *testing.T) {
	tests := []struct {
		name, resources, want string
	}{
		{"logical id without the suffix", function("Echo", "{ApiId: !Ref Api, Path: /a}"), "<Name>Function"},
		{"lower-case logical id", function("echoFunction", "{ApiId: !Ref Api, Path: /a}"), "<Name>Function"},
		{"no path ($default route)", function("EchoFunction", "{ApiId: !Ref Api}"), "$default"},
		{"no properties", "  EchoFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        E:\n          Type: HttpApi\n", "$default"},
		{"api that is not an HttpApi", function("EchoFunction", "{ApiId: !Ref Logs, Path: /a}"), "ApiId"},
		{"api that does not exist", function("EchoFunction", "{ApiId: Other, Path: /a}"), "ApiId"},
		{"api from GetAtt", function("EchoFunction", "{ApiId: !GetAtt Api.ApiId, Path: /a}"), "ApiId"},
		{"payload format 1.0", function("EchoFunction", `{Path: /a, PayloadFormatVersion: "1.0"}`), "PayloadFormatVersion"},
		{"greedy not last", function("EchoFunction", `{Path: "/{p+}/a"}`), "last segment"},
		{"unknown method", function("EchoFunction", "{Path: /a, Method: FETCH}"), "unsupported method"},
		{"method not a string", function("EchoFunction", "{Path: /a, Method: [GET]}"), "Method"},
		{"conflict across functions", function("EchoFunction", `{Path: "/a/{x}"}`) + function("OtherFunction", `{Path: "/a/{y}"}`), "conflict"},
		{"named stage", "  Api2:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n      StageName: prod\n", "$default"},
		{"not yaml", "  : [\n", "template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadRoutes(writeTemplate(t, tt.resources))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadRoutes error = %v, want one containing %q", err, tt.want)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		if _, err := LoadRoutes(filepath.Join(t.TempDir(), "none.yaml")); err == nil {
			t.Error("LoadRoutes of a missing file succeeded")
		}
	})
}
