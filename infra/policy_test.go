package infra_test

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sharkauth/serverless/infra"
)

// Resources as infra.FunctionPolicies prints them.
const (
	table      = "${Table.Arn}"
	tableIndex = "${Table.Arn}/index/*"
	wrapKey    = "${KeyWrappingKey.Arn}"
	tenantKeys = "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"
	anyRes     = "*"
)

// Conditions, as canonical JSON.
const (
	// A data key of the wrapping key, only with the {tenant, kid}
	// encryption context (keys.Envelope).
	condWrappedKeyContext = `{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["tenant","kid"]},"Null":{"kms:EncryptionContext:kid":"false","kms:EncryptionContext:tenant":"false"}}`
	// A KMS key tagged with a tenant (the tenants' signing keys in kms mode).
	condTenantTagged = `{"Null":{"aws:ResourceTag/tenant":"false"}}`
	// CreateKey of an ES256 signing key tagged with its tenant, no other tag.
	condCreateSigningKey = `{"ForAllValues:StringEquals":{"aws:TagKeys":["tenant"]},"Null":{"aws:RequestTag/tenant":"false"},"StringEquals":{"kms:KeySpec":"ECC_NIST_P256","kms:KeyUsage":"SIGN_VERIFY"}}`
	// Writes and deletes of audit items only (and the platform's cursor
	// secret), by the partition key of the item.
	condAuditItems    = `{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["T#*#AUDIT#*","T#*#AUDITTARGET#*","T#*#TOKEN2#*","T#~platform#SECRET"]}}`
	condTagOnlyTenant = `{"ForAllValues:StringEquals":{"aws:TagKeys":["tenant"]},"Null":{"aws:RequestTag/tenant":"false"}}`
)

func g(action, resource string, cond ...string) infra.Grant {
	return infra.Grant{Action: action, Resource: resource, Condition: strings.Join(cond, "")}
}

// tableGrants are the DynamoDB calls of the store engine (shared/store/
// dynamodb) a function makes: reads are GetItem; Query runs on the table
// and GSI1; a put is PutItem when it is IfAbsent or IfVersion and UpdateItem
// when it is Always or IfExists (also inside TransactWriteItems, whose items
// need the per-item actions); OpCheck is ConditionCheckItem; deletes are
// DeleteItem. Never Scan, BatchWriteItem or any table management.
func tableGrants(actions ...string) []infra.Grant {
	var out []infra.Grant
	for _, a := range actions {
		out = append(out, g("dynamodb:"+a, table))
		if a == "Query" {
			out = append(out, g("dynamodb:Query", tableIndex))
		}
	}
	return out
}

// expected is the declared least privilege of each function per key mode
// (DESIGN §1 and §4):
//   - jwks reads tenants and public keys: GetItem and Query, no writes, no KMS.
//   - token reads clients, tokens, keys and revocation records, writes one
//     transaction per token (DPoP jti, token record, audit event) and
//     revocations; never deletes. Envelope: kms:Decrypt of the wrapping key
//     under the {tenant, kid} context, once per container and tenant. kms:
//     kms:Sign with tenant-tagged keys only.
//   - register writes clients and audit events (conditional puts) and checks
//     an initial access token; no Query, no delete, no KMS.
//   - authorize reads tenants, clients, users, sessions and consents and
//     writes sessions, consents, codes, rate counters and audit events;
//     deletes a session at sign-out; no Query, no KMS.
//   - audit reads (tenants, admin keys for its callers, audit events) and
//     writes or purges audit items only: every write is conditioned on the
//     item's partition key (dynamodb:LeadingKeys); no KMS.
//   - admin is the tenants' and platform's write path (deletes included);
//     envelope: GenerateDataKey to make a signing key, never Decrypt; kms:
//     create tenant-tagged ES256 keys, read their public key once, schedule
//     the deletion of one that was never stored.
func expected(mode string) map[string][]infra.Grant {
	e := map[string][]infra.Grant{
		"JwksFunction":      tableGrants("GetItem", "Query"),
		"TokenFunction":     tableGrants("GetItem", "Query", "PutItem", "UpdateItem", "ConditionCheckItem"),
		"RegisterFunction":  tableGrants("GetItem", "PutItem", "ConditionCheckItem"),
		"AuthorizeFunction": tableGrants("GetItem", "PutItem", "DeleteItem", "ConditionCheckItem"),
		"AdminFunction":     tableGrants("GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"),
		"AuditFunction": append(tableGrants("GetItem", "Query"),
			g("dynamodb:PutItem", table, condAuditItems), g("dynamodb:DeleteItem", table, condAuditItems)),
	}
	switch mode {
	case "envelope":
		e["TokenFunction"] = append(e["TokenFunction"], g("kms:Decrypt", wrapKey, condWrappedKeyContext))
		e["AdminFunction"] = append(e["AdminFunction"], g("kms:GenerateDataKey", wrapKey, condWrappedKeyContext))
	case "kms":
		e["TokenFunction"] = append(e["TokenFunction"], g("kms:Sign", tenantKeys, condTenantTagged))
		e["AdminFunction"] = append(e["AdminFunction"],
			g("kms:CreateKey", anyRes, condCreateSigningKey),
			g("kms:TagResource", anyRes, condTagOnlyTenant),
			g("kms:GetPublicKey", tenantKeys, condTenantTagged),
			g("kms:ScheduleKeyDeletion", tenantKeys, condTenantTagged))
	}
	return e
}

// keyModes are the values of the template's KeyMode parameter.
var keyModes = []string{"envelope", "kms"}

// checkPolicies compares a template's effective grants with expected, for
// every key mode, and applies the rules no expectation may relax. It returns
// every violation.
func checkPolicies(template []byte) []string {
	var problems []string
	for _, mode := range keyModes {
		got, err := infra.FunctionPolicies(template, map[string]string{"KeyMode": mode})
		if err != nil {
			return append(problems, err.Error())
		}
		want := expected(mode)
		ids := make([]string, 0, len(got))
		for id := range got {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			problems = append(problems, forbidden(mode, id, got[id])...)
			w, ok := want[id]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: %s has no declared expectation: add it to expected()", mode, id))
				continue
			}
			for _, gr := range got[id] {
				if !slices.Contains(w, gr) {
					problems = append(problems, fmt.Sprintf("%s: %s is granted more than declared: %s", mode, id, gr))
				}
			}
			for _, gr := range w {
				if !slices.Contains(got[id], gr) {
					problems = append(problems, fmt.Sprintf("%s: %s lacks a declared grant: %s", mode, id, gr))
				}
			}
		}
		for id := range want {
			if _, ok := got[id]; !ok {
				problems = append(problems, fmt.Sprintf("%s: expected function %s is not in the template", mode, id))
			}
		}
	}
	return problems
}

// forbidden holds whatever the expectation says: no wildcard action, no
// Scan, no table or key management, no unconditioned "*" resource.
func forbidden(mode, id string, grants []infra.Grant) []string {
	var out []string
	for _, gr := range grants {
		a := gr.Action
		switch {
		case strings.Contains(a, "*"):
			out = append(out, fmt.Sprintf("%s: %s: wildcard action %s", mode, id, gr))
		case a == "dynamodb:Scan":
			out = append(out, fmt.Sprintf("%s: %s: dynamodb:Scan (%s)", mode, id, gr))
		case gr.Resource == anyRes && gr.Condition == "":
			out = append(out, fmt.Sprintf("%s: %s: unconditioned Resource \"*\" (%s)", mode, id, gr))
		}
	}
	return out
}

func readTemplate(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLeastPrivilege: every function's effective IAM grants in template.yaml
// are exactly the declared ones, in both key modes.
func TestLeastPrivilege(t *testing.T) {
	if problems := checkPolicies(readTemplate(t)); len(problems) > 0 {
		t.Fatalf("template.yaml's policies differ from the declared least privilege:\n  %s", strings.Join(problems, "\n  "))
	}
}

// TestLeastPrivilegeRefusesWidening: widened copies of template.yaml fail the
// check, each with the problem it introduced.
func TestLeastPrivilegeRefusesWidening(t *testing.T) {
	src := string(readTemplate(t))
	jwksRead := "            - Sid: TableRead\n              Effect: Allow\n              Action: dynamodb:GetItem\n              Resource: !GetAtt Table.Arn\n"
	registerPolicy := "                - dynamodb:GetItem\n                - dynamodb:PutItem\n                - dynamodb:ConditionCheckItem\n              Resource: !GetAtt Table.Arn\n"
	tokenSign := "                Action: kms:Sign\n                Resource: !Sub arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*\n                Condition:\n                  \"Null\":\n                    aws:ResourceTag/tenant: \"false\"\n"
	wrappedContext := "                Condition:\n                  \"Null\":\n                    kms:EncryptionContext:tenant: \"false\"\n                    kms:EncryptionContext:kid: \"false\"\n                  ForAllValues:StringEquals:\n                    kms:EncryptionContextKeys: [tenant, kid]\n"
	statement := func(action, resource string) string {
		return "            - Effect: Allow\n              Action: " + action + "\n              Resource: " + resource + "\n"
	}
	tests := []struct {
		name        string
		find, using string // the first find is replaced by using
		want        string // a problem containing this
	}{
		{name: "Scan on jwks", find: jwksRead, using: jwksRead + statement("dynamodb:Scan", "!GetAtt Table.Arn"), want: "dynamodb:Scan"},
		{name: "kms:* on register", find: registerPolicy, using: registerPolicy + statement("kms:*", "!GetAtt KeyWrappingKey.Arn"), want: "wildcard action kms:*"},
		{name: "dynamodb:* on token", find: "                - dynamodb:UpdateItem\n                - dynamodb:ConditionCheckItem\n              Resource: !GetAtt Table.Arn\n            - Sid: TableQuery", using: "                - dynamodb:UpdateItem\n                - dynamodb:*\n                - dynamodb:ConditionCheckItem\n              Resource: !GetAtt Table.Arn\n            - Sid: TableQuery", want: "TokenFunction: wildcard action dynamodb:*"},
		{name: "action *", find: jwksRead, using: jwksRead + statement(`"*"`, "!GetAtt Table.Arn"), want: "wildcard action *"},
		{name: "Decrypt on jwks", find: jwksRead, using: jwksRead + statement("kms:Decrypt", "!GetAtt KeyWrappingKey.Arn"), want: "JwksFunction is granted more than declared: kms:Decrypt"},
		{name: "DeleteItem on register", find: "                - dynamodb:PutItem\n                - dynamodb:ConditionCheckItem\n              Resource: !GetAtt Table.Arn\n", using: "                - dynamodb:PutItem\n                - dynamodb:DeleteItem\n                - dynamodb:ConditionCheckItem\n              Resource: !GetAtt Table.Arn\n", want: "RegisterFunction is granted more than declared: dynamodb:DeleteItem"},
		{name: "table reads on every table", find: jwksRead, using: strings.Replace(jwksRead, "!GetAtt Table.Arn", `"*"`, 1), want: `unconditioned Resource "*"`},
		{name: "Sign without the tenant tag condition", find: tokenSign, using: "                Action: kms:Sign\n                Resource: !Sub arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*\n", want: "kms: TokenFunction is granted more than declared: kms:Sign on arn:"},
		{name: "Sign in envelope mode too", find: "            - !If\n              - KMSKeyMode\n              - Sid: SignWithTenantKeys", using: "            - !If\n              - EnvelopeKeyMode\n              - Sid: SignWithTenantKeys", want: "envelope: TokenFunction is granted more than declared: kms:Sign"},
		{name: "Decrypt without encryption context", find: wrappedContext, using: "", want: "envelope: TokenFunction is granted more than declared: kms:Decrypt on ${KeyWrappingKey.Arn}"},
		{name: "SAM CRUD policy template", find: "      Policies:\n        - Version", using: "      Policies:\n        - DynamoDBCrudPolicy:\n            TableName: !Ref Table\n        - Version", want: "SAM policy template DynamoDBCrudPolicy"},
		{name: "managed policy", find: "      Policies:\n        - Version", using: "      Policies:\n        - AdministratorAccess\n        - Version", want: "managed policies are not allowed"},
		{name: "own role", find: "      Policies:\n        - Version", using: "      Role: !GetAtt SomeRole.Arn\n      Policies:\n        - Version", want: "Role is not allowed"},
		{name: "extra IAM policy resource", find: "Outputs:\n", using: "  Extra:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyName: x\n      PolicyDocument: {}\n\nOutputs:\n", want: "AWS::IAM::Policy resources are not allowed"},
		{name: "NotAction", find: jwksRead, using: jwksRead + "            - Effect: Allow\n              NotAction: kms:Sign\n              Resource: \"*\"\n", want: "NotAction is not allowed"},
		{name: "a function the table does not know", find: "Outputs:\n", using: "  ExtraFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: .\n\nOutputs:\n", want: "ExtraFunction has no declared expectation"},
		{name: "audit writes beyond audit items", find: "                ForAllValues:StringLike:\n                  dynamodb:LeadingKeys:\n                    - \"T#*#AUDIT#*\"\n", using: "                ForAllValues:StringLike:\n                  dynamodb:LeadingKeys:\n                    - \"T#*\"\n", want: "AuditFunction is granted more than declared: dynamodb:PutItem"},
		{name: "a declared grant dropped", find: "                - dynamodb:DeleteItem\n", using: "", want: "AdminFunction lacks a declared grant: dynamodb:DeleteItem"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(src, tc.find) {
				t.Fatalf("template.yaml no longer contains the text this case widens:\n%s", tc.find)
			}
			widened := strings.Replace(src, tc.find, tc.using, 1)
			problems := checkPolicies([]byte(widened))
			if len(problems) == 0 {
				t.Fatal("the widened template passed the check")
			}
			for _, p := range problems {
				if strings.Contains(p, tc.want) {
					return
				}
			}
			t.Fatalf("no problem mentions %q; got:\n  %s", tc.want, strings.Join(problems, "\n  "))
		})
	}
}
