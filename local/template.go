package local

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/awslabs/goformation/v7/intrinsics"
)

// functionLogicalID is the logical id of a function: its name, capitalised,
// followed by "Function" (see the package comment).
var functionLogicalID = regexp.MustCompile(`^([A-Z][A-Za-z0-9]*)Function$`)

// functionName returns the function name a logical id stands for
// ("JwksFunction" → "jwks"), or false when the id does not follow the
// convention.
func functionName(logicalID string) (string, bool) {
	m := functionLogicalID.FindStringSubmatch(logicalID)
	if m == nil {
		return "", false
	}
	return strings.ToLower(m[1]), true
}

const (
	typeFunction = "AWS::Serverless::Function"
	typeHTTPAPI  = "AWS::Serverless::HttpApi"
	eventHTTPAPI = "HttpApi"
)

// samTemplate is the part of a SAM template LoadRoutes reads, after
// goformation has resolved its intrinsic functions.
type samTemplate struct {
	Resources map[string]struct {
		Type       string          `json:"Type"`
		Properties json.RawMessage `json:"Properties"`
	} `json:"Resources"`
}

type samFunction struct {
	Events map[string]struct {
		Type       string          `json:"Type"`
		Properties json.RawMessage `json:"Properties"`
	} `json:"Events"`
}

type samHTTPAPI struct {
	StageName any `json:"StageName"`
}

// LoadRoutes reads the SAM template at templatePath and returns the routes of
// its AWS::Serverless::Function resources: one per event of Type HttpApi,
// sorted by function, path and method. A function without HttpApi events has
// no route. It fails on anything the runner could not serve as API Gateway
// would: a function whose logical id does not name it, an event with no Path
// (SAM's $default route), an event of an API that is not an
// AWS::Serverless::HttpApi of the template, a payload format other than 2.0,
// an HttpApi whose stage is not $default, or a malformed or conflicting route.
//
// The template is read with goformation's intrinsic-function processor (YAML
// short forms such as !Ref, parameter defaults, Fn::Sub, Fn::If...), with one
// change: a Ref to a resource resolves to the resource's logical id instead of
// to nothing, so that an event's ApiId (!Ref HttpApi) names its API. Only the
// properties above are decoded: goformation's typed model rejects properties
// its schema lacks (AWS::Serverless::HttpApi AccessLogSettings, for one), and
// it does not merge Globals, which cannot hold Events or these properties
// anyway.
func LoadRoutes(templatePath string) ([]Route, error) {
	data, err := os.ReadFile(templatePath)
	if err != nil {
		return nil, fmt.Errorf("local: read template: %w", err)
	}
	return ParseRoutes(templatePath, data)
}

// ParseRoutes is LoadRoutes for a template already in memory; name (a file
// name, e.g. "template.yaml") tells YAML from JSON and labels errors.
func ParseRoutes(templatePath string, data []byte) ([]Route, error) {
	opts := &intrinsics.ProcessorOptions{
		IntrinsicHandlerOverrides: map[string]intrinsics.IntrinsicHandler{"Ref": refToLogicalID},
	}
	resolved, err := processIntrinsics(templatePath, data, opts)
	if err != nil {
		return nil, fmt.Errorf("local: %s: %w", templatePath, err)
	}
	var tmpl samTemplate
	if err := json.Unmarshal(resolved, &tmpl); err != nil {
		return nil, fmt.Errorf("local: %s: %w", templatePath, err)
	}

	apis := map[string]bool{}
	for id, res := range tmpl.Resources {
		if res.Type != typeHTTPAPI {
			continue
		}
		apis[id] = true
		var api samHTTPAPI
		if err := decodeProperties(res.Properties, &api); err != nil {
			return nil, fmt.Errorf("local: %s: %s: %w", templatePath, id, err)
		}
		if stage, ok := api.StageName.(string); api.StageName != nil && (!ok || stage != "$default") {
			return nil, fmt.Errorf("local: %s: %s: StageName %v: only $default is supported", templatePath, id, api.StageName)
		}
	}

	var routes []Route
	ids := make([]string, 0, len(tmpl.Resources))
	for id := range tmpl.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids) // deterministic errors
	for _, id := range ids {
		res := tmpl.Resources[id]
		if res.Type != typeFunction {
			continue
		}
		var fn samFunction
		if err := decodeProperties(res.Properties, &fn); err != nil {
			return nil, fmt.Errorf("local: %s: %s: %w", templatePath, id, err)
		}
		for eventID, ev := range fn.Events {
			if ev.Type != eventHTTPAPI {
				continue
			}
			where := fmt.Sprintf("local: %s: %s event %s", templatePath, id, eventID)
			name, ok := functionName(id)
			if !ok {
				return nil, fmt.Errorf("%s: the function's logical id must be <Name>Function", where)
			}
			r, err := eventRoute(name, ev.Properties, apis)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			routes = append(routes, r)
		}
	}
	slices.SortFunc(routes, func(a, b Route) int {
		if c := strings.Compare(a.Function, b.Function); c != 0 {
			return c
		}
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	})
	if _, err := newRouter(routes); err != nil {
		return nil, fmt.Errorf("local: %s: %w", templatePath, err)
	}
	return routes, nil
}

// intrinsicsMu serialises goformation's processor: ProcessYAML registers its
// YAML tag resolvers in a package-level map on every call, which races with a
// concurrent call.
var intrinsicsMu sync.Mutex

func processIntrinsics(path string, data []byte, opts *intrinsics.ProcessorOptions) ([]byte, error) {
	intrinsicsMu.Lock()
	defer intrinsicsMu.Unlock()
	if strings.HasSuffix(path, ".json") {
		return intrinsics.ProcessJSON(data, opts)
	}
	return intrinsics.ProcessYAML(data, opts)
}

// eventRoute is the route of one HttpApi event of function name.
func eventRoute(name string, raw json.RawMessage, apis map[string]bool) (Route, error) {
	var e map[string]any
	if err := decodeProperties(raw, &e); err != nil {
		return Route{}, err
	}
	path, ok := e["Path"].(string)
	if !ok || path == "" {
		return Route{}, fmt.Errorf("Path %v: want a path (the $default route is not supported)", e["Path"])
	}
	if apiID, set := e["ApiId"]; set {
		// SAM's implicit API has no ApiId; an explicit one must name an
		// HttpApi of the template (a Ref; other intrinsics resolve to null).
		if id, ok := apiID.(string); !ok || !apis[id] {
			return Route{}, fmt.Errorf("ApiId %v is not a Ref to an %s of the template", apiID, typeHTTPAPI)
		}
	}
	if v, set := e["PayloadFormatVersion"]; set && v != "2.0" {
		return Route{}, fmt.Errorf("PayloadFormatVersion %v: only 2.0 is supported", v)
	}
	method := methodAny
	switch m := e["Method"].(type) {
	case nil:
	case string:
		if m != "" {
			method = strings.ToUpper(m)
		}
	default:
		return Route{}, fmt.Errorf("Method %v is not a string", m)
	}
	r := Route{Function: name, Method: method, Path: path}
	if _, err := compile(r); err != nil {
		return Route{}, err
	}
	return r, nil
}

// decodeProperties decodes a resource's or event's Properties; absent
// Properties decode as empty.
func decodeProperties(raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("Properties: %w", err)
	}
	return nil
}

// refToLogicalID resolves Ref as goformation does (pseudo parameters and
// parameter defaults) and a Ref to a resource to the resource's logical id.
func refToLogicalID(name string, input, template any) any {
	if v := intrinsics.Ref(name, input, template); v != nil {
		return v
	}
	id, ok := input.(string)
	if !ok {
		return nil
	}
	if t, ok := template.(map[string]any); ok {
		if resources, ok := t["Resources"].(map[string]any); ok {
			if _, ok := resources[id]; ok {
				return id
			}
		}
	}
	return nil
}
