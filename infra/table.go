package infra

import (
	"bytes"
	_ "embed"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"gopkg.in/yaml.v3"
)

// tableYAML is table.yaml: the CloudFormation Properties of the one table.
//
//go:embed table.yaml
var tableYAML []byte

// tableSpec is table.yaml decoded strictly: a property this type does not know
// fails the parse, so nothing in the file can be silently left out of
// CreateTableInput.
type tableSpec struct {
	AttributeDefinitions []struct {
		AttributeName string `yaml:"AttributeName"`
		AttributeType string `yaml:"AttributeType"`
	} `yaml:"AttributeDefinitions"`
	KeySchema              []keyElement `yaml:"KeySchema"`
	GlobalSecondaryIndexes []struct {
		IndexName  string       `yaml:"IndexName"`
		KeySchema  []keyElement `yaml:"KeySchema"`
		Projection struct {
			ProjectionType   string   `yaml:"ProjectionType"`
			NonKeyAttributes []string `yaml:"NonKeyAttributes"`
		} `yaml:"Projection"`
	} `yaml:"GlobalSecondaryIndexes"`
	BillingMode             string `yaml:"BillingMode"`
	TimeToLiveSpecification struct {
		AttributeName string `yaml:"AttributeName"`
		Enabled       bool   `yaml:"Enabled"`
	} `yaml:"TimeToLiveSpecification"`
	PointInTimeRecoverySpecification struct {
		PointInTimeRecoveryEnabled bool `yaml:"PointInTimeRecoveryEnabled"`
	} `yaml:"PointInTimeRecoverySpecification"`
	SSESpecification struct {
		SSEEnabled     bool   `yaml:"SSEEnabled"`
		SSEType        string `yaml:"SSEType"`
		KMSMasterKeyID string `yaml:"KMSMasterKeyId"`
	} `yaml:"SSESpecification"`
}

type keyElement struct {
	AttributeName string `yaml:"AttributeName"`
	KeyType       string `yaml:"KeyType"`
}

// spec is table.yaml parsed once; a malformed file is a build-time mistake, so
// it panics at init and every test of every package that uses it fails.
var spec = mustParse(tableYAML)

func mustParse(b []byte) *tableSpec {
	s, err := parseSpec(b)
	if err != nil {
		panic(err)
	}
	return s
}

func parseSpec(b []byte) (*tableSpec, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var s tableSpec
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("infra: table.yaml: %w", err)
	}
	if len(s.KeySchema) == 0 || s.TimeToLiveSpecification.AttributeName == "" {
		return nil, fmt.Errorf("infra: table.yaml: KeySchema and TimeToLiveSpecification are required")
	}
	return &s, nil
}

// TableProperties returns table.yaml as generic YAML values: the Properties
// template.yaml's table resource must equal. Each call returns a fresh copy.
func TableProperties() map[string]any {
	var m map[string]any
	if err := yaml.Unmarshal(tableYAML, &m); err != nil {
		panic(fmt.Sprintf("infra: table.yaml: %v", err)) // parsed once already at init
	}
	return m
}

// TTLAttribute is the attribute DynamoDB's TTL reads (epoch seconds).
func TTLAttribute() string { return spec.TimeToLiveSpecification.AttributeName }

// CreateTableInput returns the CreateTable request for a table named name with
// table.yaml's schema, indexes, billing mode and encryption. Time to live and
// point-in-time recovery are not part of CreateTable: see UpdateTTLInput (the
// tests' emulator has no point-in-time recovery to configure).
func CreateTableInput(name string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingMode(spec.BillingMode),
		KeySchema:   keySchema(spec.KeySchema),
	}
	for _, a := range spec.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName),
			AttributeType: types.ScalarAttributeType(a.AttributeType),
		})
	}
	for _, g := range spec.GlobalSecondaryIndexes {
		p := &types.Projection{ProjectionType: types.ProjectionType(g.Projection.ProjectionType)}
		if len(g.Projection.NonKeyAttributes) > 0 {
			p.NonKeyAttributes = append([]string(nil), g.Projection.NonKeyAttributes...)
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName:  aws.String(g.IndexName),
			KeySchema:  keySchema(g.KeySchema),
			Projection: p,
		})
	}
	if sse := spec.SSESpecification; sse.SSEEnabled {
		in.SSESpecification = &types.SSESpecification{Enabled: aws.Bool(true)}
		if sse.SSEType != "" {
			in.SSESpecification.SSEType = types.SSEType(sse.SSEType)
		}
		if sse.KMSMasterKeyID != "" {
			in.SSESpecification.KMSMasterKeyId = aws.String(sse.KMSMasterKeyID)
		}
	}
	return in
}

// UpdateTTLInput returns the UpdateTimeToLive request that turns on table.yaml's
// TTL attribute for the table named name.
func UpdateTTLInput(name string) *dynamodb.UpdateTimeToLiveInput {
	return &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(spec.TimeToLiveSpecification.AttributeName),
			Enabled:       aws.Bool(spec.TimeToLiveSpecification.Enabled),
		},
	}
}

func keySchema(ks []keyElement) []types.KeySchemaElement {
	out := make([]types.KeySchemaElement, 0, len(ks))
	for _, k := range ks {
		out = append(out, types.KeySchemaElement{
			AttributeName: aws.String(k.AttributeName),
			KeyType:       types.KeyType(k.KeyType),
		})
	}
	return out
}
