package infra_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"gopkg.in/yaml.v3"

	"github.com/sharkauth/serverless/infra"
	"github.com/sharkauth/serverless/shared/awstest"
)

// TestTemplateTableMatches pins template.yaml's table resource to table.yaml, so
// the deployed table and the tests' tables cannot drift apart.
func TestTemplateTableMatches(t *testing.T) {
	src, err := os.ReadFile("../template.yaml")
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatal("template.yaml does not exist at the repository root: its AWS::DynamoDB::Table resource must carry infra/table.yaml's Properties")
	}
	if err != nil {
		t.Fatal(err)
	}
	got, err := templateTableProperties(src)
	if err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	if want := infra.TableProperties(); !reflect.DeepEqual(got, want) {
		gotY, _ := yaml.Marshal(got)
		wantY, _ := yaml.Marshal(want)
		t.Fatalf("template.yaml's table Properties differ from infra/table.yaml\ntemplate.yaml:\n%s\ninfra/table.yaml:\n%s", gotY, wantY)
	}
}

func TestTemplateTablePropertiesParser(t *testing.T) {
	props := `
    Properties:
      BillingMode: PAY_PER_REQUEST
      KeySchema:
        - AttributeName: PK
          KeyType: HASH`
	tests := []struct {
		name    string
		doc     string
		want    map[string]any
		wantErr string
	}{
		{
			name: "short tags elsewhere do not break parsing",
			doc: `
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Environment:
      Variables:
        TABLE: !Ref Table
        ARN: !GetAtt Table.Arn
        URL: !Sub "https://${Api}.execute-api.${AWS::Region}.amazonaws.com"
        LIST: !Join [",", [a, b]]
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - DynamoDBCrudPolicy:
            TableName: !Ref Table
  Table:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Retain` + props,
			want: map[string]any{
				"BillingMode": "PAY_PER_REQUEST",
				"KeySchema":   []any{map[string]any{"AttributeName": "PK", "KeyType": "HASH"}},
			},
		},
		{
			name:    "no table",
			doc:     "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n",
			wantErr: "no AWS::DynamoDB::Table",
		},
		{
			name:    "two tables",
			doc:     "Resources:\n  A:\n    Type: AWS::DynamoDB::Table\n" + props + "\n  B:\n    Type: AWS::DynamoDB::Table\n" + props,
			wantErr: "2 AWS::DynamoDB::Table",
		},
		{
			name:    "no resources",
			doc:     "Transform: AWS::Serverless-2016-10-31\n",
			wantErr: "no Resources",
		},
		{
			name:    "table without properties",
			doc:     "Resources:\n  A:\n    Type: AWS::DynamoDB::Table\n",
			wantErr: "no Properties",
		},
		{
			name:    "not yaml",
			doc:     "Resources: [",
			wantErr: "yaml",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := templateTableProperties([]byte(tc.doc))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

// templateTableProperties finds the one AWS::DynamoDB::Table resource of a
// CloudFormation template and returns its Properties as generic YAML values.
// CloudFormation's short tags (!Ref, !GetAtt, !Sub, ...) are dropped before
// decoding, so they parse as the plain values under them.
func templateTableProperties(src []byte) (map[string]any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errors.New("not a single yaml document")
	}
	stripCustomTags(&doc)
	resources := mappingValue(doc.Content[0], "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return nil, errors.New("no Resources mapping")
	}
	var tables []*yaml.Node
	for i := 1; i < len(resources.Content); i += 2 {
		res := resources.Content[i]
		if typ := mappingValue(res, "Type"); typ != nil && typ.Value == "AWS::DynamoDB::Table" {
			tables = append(tables, res)
		}
	}
	switch len(tables) {
	case 0:
		return nil, errors.New("no AWS::DynamoDB::Table resource")
	case 1:
	default:
		return nil, fmt.Errorf("found %d AWS::DynamoDB::Table resources, want one", len(tables))
	}
	props := mappingValue(tables[0], "Properties")
	if props == nil {
		return nil, errors.New("the AWS::DynamoDB::Table resource has no Properties")
	}
	var m map[string]any
	if err := props.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// mappingValue returns the value of key in mapping node n, or nil.
func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// stripCustomTags clears every local tag (!Ref and friends, not !!str) so the
// decoder resolves the node as if it were untagged.
func stripCustomTags(n *yaml.Node) {
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		n.Tag = ""
	}
	for _, c := range n.Content {
		stripCustomTags(c)
	}
}

func TestCreateTableInput(t *testing.T) {
	in := infra.CreateTableInput("t1")
	if aws.ToString(in.TableName) != "t1" {
		t.Errorf("TableName = %q", aws.ToString(in.TableName))
	}
	if in.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("BillingMode = %q", in.BillingMode)
	}
	wantKeys := map[string]types.KeyType{"PK": types.KeyTypeHash, "SK": types.KeyTypeRange}
	if got := keyMap(in.KeySchema); !reflect.DeepEqual(got, wantKeys) {
		t.Errorf("KeySchema = %v", got)
	}
	attrs := map[string]types.ScalarAttributeType{}
	for _, a := range in.AttributeDefinitions {
		attrs[aws.ToString(a.AttributeName)] = a.AttributeType
	}
	wantAttrs := map[string]types.ScalarAttributeType{"PK": "S", "SK": "S", "GSI1PK": "S", "GSI1SK": "S", "GSI2PK": "S", "GSI2SK": "S"}
	if !reflect.DeepEqual(attrs, wantAttrs) {
		t.Errorf("AttributeDefinitions = %v", attrs)
	}
	if len(in.GlobalSecondaryIndexes) != 2 {
		t.Fatalf("%d GSIs, want 2", len(in.GlobalSecondaryIndexes))
	}
	for i, name := range []string{"GSI1", "GSI2"} {
		g := in.GlobalSecondaryIndexes[i]
		if aws.ToString(g.IndexName) != name || g.Projection.ProjectionType != types.ProjectionTypeAll {
			t.Errorf("GSI = %s %v", aws.ToString(g.IndexName), g.Projection.ProjectionType)
		}
		if got := keyMap(g.KeySchema); !reflect.DeepEqual(got, map[string]types.KeyType{name + "PK": "HASH", name + "SK": "RANGE"}) {
			t.Errorf("%s KeySchema = %v", name, got)
		}
	}
	if in.SSESpecification == nil || !aws.ToBool(in.SSESpecification.Enabled) {
		t.Errorf("SSESpecification = %+v", in.SSESpecification)
	}
	ttl := infra.UpdateTTLInput("t1")
	if aws.ToString(ttl.TableName) != "t1" || aws.ToString(ttl.TimeToLiveSpecification.AttributeName) != "ExpiresAt" ||
		!aws.ToBool(ttl.TimeToLiveSpecification.Enabled) {
		t.Errorf("UpdateTTLInput = %+v", ttl.TimeToLiveSpecification)
	}
	if infra.TTLAttribute() != "ExpiresAt" {
		t.Errorf("TTLAttribute = %q", infra.TTLAttribute())
	}
}

func TestTablePropertiesIsACopy(t *testing.T) {
	a := infra.TableProperties()
	a["BillingMode"] = "PROVISIONED"
	if b := infra.TableProperties(); b["BillingMode"] != "PAY_PER_REQUEST" {
		t.Fatalf("TableProperties shares state: BillingMode = %v", b["BillingMode"])
	}
}

// TestCreateTableOnEmulator creates the table on moto and reads back what it made.
func TestCreateTableOnEmulator(t *testing.T) {
	client, name := awstest.NewTable(t)
	ctx := t.Context()
	out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	td := out.Table
	if td.TableStatus != types.TableStatusActive {
		t.Errorf("status = %s", td.TableStatus)
	}
	if got := keyMap(td.KeySchema); !reflect.DeepEqual(got, map[string]types.KeyType{"PK": "HASH", "SK": "RANGE"}) {
		t.Errorf("KeySchema = %v", got)
	}
	names := map[string]bool{}
	for _, g := range td.GlobalSecondaryIndexes {
		names[aws.ToString(g.IndexName)] = true
	}
	if len(names) != 2 || !names["GSI1"] || !names["GSI2"] {
		t.Errorf("GSIs = %+v", td.GlobalSecondaryIndexes)
	}
	ttl, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	d := ttl.TimeToLiveDescription
	if aws.ToString(d.AttributeName) != "ExpiresAt" || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		t.Errorf("TTL = %s %s", aws.ToString(d.AttributeName), d.TimeToLiveStatus)
	}
}

func keyMap(ks []types.KeySchemaElement) map[string]types.KeyType {
	m := map[string]types.KeyType{}
	for _, k := range ks {
		m[aws.ToString(k.AttributeName)] = k.KeyType
	}
	return m
}
