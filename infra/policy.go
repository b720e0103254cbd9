package infra

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/awslabs/goformation/v7/intrinsics"
)

// Grant is one effective IAM permission of a function: an action on a
// resource under a condition. Resources keep the template's symbolic form
// ("${Table.Arn}", "${Table.Arn}/index/*", "${KeyWrappingKey.Arn}", "*"):
// GetAtt and Ref to a resource become "${Resource.Attribute}" and
// "${Resource}", and Sub keeps its text. Condition is the statement's
// Condition block as canonical JSON ("" when none).
type Grant struct {
	Action    string
	Resource  string
	Condition string
}

func (g Grant) String() string {
	s := g.Action + " on " + g.Resource
	if g.Condition != "" {
		s += " if " + g.Condition
	}
	return s
}

// Policies are the effective grants of each AWS::Serverless::Function of a
// template (by logical id) for one set of parameter values, sorted.
type Policies map[string][]Grant

// FunctionPolicies reads a SAM template (YAML, CloudFormation short tags
// allowed), sets the given parameters, evaluates its conditions and Fn::If,
// and returns each function's inline policy statements flattened into grants.
//
// Anything that grants permissions in a form this reader does not flatten is
// an error rather than something left out: a SAM policy template (e.g.
// DynamoDBCrudPolicy) or managed policy in Policies, a function Role, a Deny,
// NotAction or NotResource, Policies in Globals, and AWS::IAM resources.
func FunctionPolicies(template []byte, params map[string]string) (Policies, error) {
	overrides := map[string]any{}
	for k, v := range params {
		overrides[k] = v
	}
	resolved, err := processTemplate(template, &intrinsics.ProcessorOptions{
		ParameterOverrides: overrides,
		IntrinsicHandlerOverrides: map[string]intrinsics.IntrinsicHandler{
			"Fn::If":     fnIf,
			"Ref":        symbolicRef,
			"Fn::GetAtt": symbolicGetAtt,
			"Fn::Sub":    symbolicSub,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("infra: template: %w", err)
	}
	var tmpl struct {
		Globals struct {
			Function map[string]any `json:"Function"`
		} `json:"Globals"`
		Resources map[string]struct {
			Type       string         `json:"Type"`
			Properties map[string]any `json:"Properties"`
			// A resource's Condition is not evaluated: a conditional
			// function's grants count as if it existed.
		} `json:"Resources"`
	}
	if err := json.Unmarshal(resolved, &tmpl); err != nil {
		return nil, fmt.Errorf("infra: template: %w", err)
	}
	for _, k := range []string{"Policies", "Role", "PermissionsBoundary"} {
		if _, ok := tmpl.Globals.Function[k]; ok {
			return nil, fmt.Errorf("infra: Globals.Function.%s: permissions belong to each function", k)
		}
	}
	out := Policies{}
	for id, res := range tmpl.Resources {
		if strings.HasPrefix(res.Type, "AWS::IAM::") {
			return nil, fmt.Errorf("infra: %s: %s resources are not allowed: each function's policy is inline in its Policies", id, res.Type)
		}
		if res.Type != "AWS::Serverless::Function" {
			continue
		}
		if _, ok := res.Properties["Role"]; ok {
			return nil, fmt.Errorf("infra: %s: Role is not allowed: the function's role is SAM's, from its Policies", id)
		}
		grants, err := functionGrants(res.Properties["Policies"])
		if err != nil {
			return nil, fmt.Errorf("infra: %s: %w", id, err)
		}
		out[id] = grants
	}
	return out, nil
}

func functionGrants(policies any) ([]Grant, error) {
	var list []any
	switch p := policies.(type) {
	case nil:
		return nil, nil
	case []any:
		list = p
	default:
		list = []any{p}
	}
	var grants []Grant
	for i, p := range list {
		doc, ok := p.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("Policies[%d] = %v: managed policies are not allowed", i, p)
		}
		stmts, ok := doc["Statement"]
		if !ok {
			for name := range doc {
				return nil, fmt.Errorf("Policies[%d]: SAM policy template %s is not allowed: write the statements", i, name)
			}
			continue
		}
		for j, s := range asList(stmts) {
			if s == nil { // an Fn::If branch of AWS::NoValue
				continue
			}
			g, err := statementGrants(s)
			if err != nil {
				return nil, fmt.Errorf("Policies[%d].Statement[%d]: %w", i, j, err)
			}
			grants = append(grants, g...)
		}
	}
	sort.Slice(grants, func(a, b int) bool { return grants[a].String() < grants[b].String() })
	return grants, nil
}

func statementGrants(s any) ([]Grant, error) {
	st, ok := s.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not a statement: %v", s)
	}
	for _, k := range []string{"NotAction", "NotResource", "NotPrincipal"} {
		if _, ok := st[k]; ok {
			return nil, fmt.Errorf("%s is not allowed", k)
		}
	}
	if st["Effect"] != "Allow" {
		return nil, fmt.Errorf("Effect %v: only Allow statements are expected", st["Effect"])
	}
	cond := ""
	if c, ok := st["Condition"]; ok && c != nil {
		b, err := json.Marshal(c) // map keys sorted: canonical
		if err != nil {
			return nil, err
		}
		cond = string(b)
	}
	actions, resources := asStrings(st["Action"]), asStrings(st["Resource"])
	if len(actions) == 0 || len(resources) == 0 {
		return nil, fmt.Errorf("a statement needs Action and Resource (got %v, %v)", st["Action"], st["Resource"])
	}
	var out []Grant
	for _, a := range actions {
		for _, r := range resources {
			out = append(out, Grant{Action: a, Resource: r, Condition: cond})
		}
	}
	return out, nil
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// asStrings flattens a string or list of strings; anything else becomes its
// printed form, which no expectation matches.
func asStrings(v any) []string {
	var out []string
	for _, x := range asList(v) {
		if x == nil {
			continue
		}
		if s, ok := x.(string); ok {
			out = append(out, s)
		} else {
			out = append(out, fmt.Sprint(x))
		}
	}
	return out
}

// processMu serialises goformation's processor (it registers YAML tag
// handlers in a package-level map on every call).
var processMu sync.Mutex

func processTemplate(data []byte, opts *intrinsics.ProcessorOptions) (out []byte, err error) {
	processMu.Lock()
	defer processMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return intrinsics.ProcessYAML(data, opts)
}

// symbolicRef resolves a parameter or pseudo parameter as CloudFormation
// would (parameter values from the overrides or defaults) and a Ref to a
// resource to "${Resource}".
func symbolicRef(name string, input, template any) any {
	if s, ok := input.(string); ok && s == "AWS::NoValue" {
		return nil
	}
	if s, ok := input.(string); ok && strings.HasPrefix(s, "AWS::") {
		return "${" + s + "}"
	}
	if v := intrinsics.Ref(name, input, template); v != nil {
		return v
	}
	if s, ok := input.(string); ok {
		return "${" + s + "}"
	}
	return nil
}

// symbolicGetAtt returns "${Resource.Attribute}".
func symbolicGetAtt(_ string, input, _ any) any {
	switch v := input.(type) {
	case string:
		return "${" + v + "}"
	case []any:
		parts := make([]string, 0, len(v))
		for _, p := range v {
			parts = append(parts, fmt.Sprint(p))
		}
		return "${" + strings.Join(parts, ".") + "}"
	}
	return nil
}

// symbolicSub keeps the text of a Sub (its variables unresolved).
func symbolicSub(_ string, input, _ any) any {
	switch v := input.(type) {
	case string:
		return v
	case []any:
		if len(v) > 0 {
			return fmt.Sprint(v[0])
		}
	}
	return nil
}

// fnIf evaluates Fn::If with the template's Conditions (goformation's own
// condition evaluation replaces every "Condition" key, a resource's and an
// IAM statement's alike, so it is not used).
func fnIf(_ string, input, template any) any {
	arr, ok := input.([]any)
	if !ok || len(arr) != 3 {
		return nil
	}
	name, ok := arr[0].(string)
	if !ok {
		return nil
	}
	v, err := evalCondition(name, template, 0)
	if err != nil {
		panic(err) // recovered by processTemplate
	}
	if v {
		return arr[1]
	}
	return arr[2]
}

// evalCondition evaluates a named condition of the template: Fn::Equals,
// Fn::Not, Fn::And, Fn::Or and Condition over parameter values and strings.
func evalCondition(name string, template any, depth int) (bool, error) {
	if depth > 20 {
		return false, fmt.Errorf("condition %s: too deep (a cycle?)", name)
	}
	t, _ := template.(map[string]any)
	conds, _ := t["Conditions"].(map[string]any)
	expr, ok := conds[name]
	if !ok {
		return false, fmt.Errorf("Fn::If names an unknown condition %q", name)
	}
	return evalExpr(expr, template, depth+1)
}

func evalExpr(expr, template any, depth int) (bool, error) {
	m, ok := expr.(map[string]any)
	if !ok || len(m) != 1 {
		return false, fmt.Errorf("condition expression %v", expr)
	}
	for fn, arg := range m {
		args, _ := arg.([]any)
		switch fn {
		case "Condition":
			n, _ := arg.(string)
			return evalCondition(n, template, depth)
		case "Fn::Equals":
			if len(args) != 2 {
				return false, fmt.Errorf("Fn::Equals %v", arg)
			}
			a, b := evalValue(args[0], template), evalValue(args[1], template)
			return a == b, nil
		case "Fn::Not", "Fn::And", "Fn::Or":
			var vals []bool
			for _, x := range args {
				v, err := evalExpr(x, template, depth)
				if err != nil {
					return false, err
				}
				vals = append(vals, v)
			}
			switch fn {
			case "Fn::Not":
				if len(vals) != 1 {
					return false, fmt.Errorf("Fn::Not %v", arg)
				}
				return !vals[0], nil
			case "Fn::And":
				return !slices.Contains(vals, false), nil
			default:
				return slices.Contains(vals, true), nil
			}
		}
		return false, fmt.Errorf("condition function %s", fn)
	}
	return false, nil
}

// evalValue is a string operand of Fn::Equals: a literal or a Ref to a
// parameter (its value).
func evalValue(v, template any) string {
	if m, ok := v.(map[string]any); ok {
		if ref, ok := m["Ref"]; ok {
			return fmt.Sprint(intrinsics.Ref("Ref", ref, template))
		}
	}
	return fmt.Sprint(v)
}
