package storetest

import (
	"reflect"
	"slices"
	"testing"

	"github.com/sharkauth/serverless/shared/store"
	"github.com/sharkauth/serverless/shared/tenant"
)

// checkedElsewhere are the tenant-scoped store methods whose isolation is
// asserted by another tier's own isolation case, not in the TenantIsolation
// table: the method, and the tier and case that check it.
var checkedElsewhere = map[string]string{
	"CreateInitialAccessToken": "DCR: token errors and isolation",
	"GetInitialAccessToken":    "DCR: token errors and isolation",
	"InitialAccessTokenByHash": "DCR: token errors and isolation",
	"ListInitialAccessTokens":  "DCR: token errors and isolation",
	"RevokeInitialAccessToken": "DCR: token errors and isolation",
	"RegisterClient":           "DCR: token errors and isolation",
	"Hit":                      "DCR: rate counter: limit, window, tenant and name",
	"HitEach":                  "DCR: rate counters: read at once, counted in order, a refusal spends nothing",
	"RecordAuditEvents":        "AuditTrail: tenant isolation",
	"GetAuditEvent":            "AuditTrail: tenant isolation",
	"ListAuditEvents":          "AuditTrail: tenant isolation",
	"EachAuditEvent":           "AuditTrail: tenant isolation",
	"PurgeAuditEvents":         "AuditTrail: tenant isolation",
	"SetGrants":                "MayActGrantSets: another tenant's grant",
	"CreateAuthCode":           "Codes: isolation: another tenant sees none of it",
	"AuthCodeByHash":           "Codes: isolation: another tenant sees none of it",
	"RefreshByHash":            "Codes: isolation: another tenant sees none of it",
	"RevokeFamily":             "Codes: isolation: another tenant sees none of it",
	"GetFamilyRevocation":      "Codes: isolation: another tenant sees none of it",
	"Feed":                     "RevocationFeed: incremental, bound to its tenant, and forgotten after the longest token",
}

// isolationCoverage fails for every exported *store.Store method that takes
// a tenant.ID and is neither in the TenantIsolation table (checked) nor in
// checkedElsewhere: a new tenant-scoped method lands with its isolation
// case. A checkedElsewhere entry that names no such method fails too.
func isolationCoverage(t *testing.T, checked []string) {
	t.Helper()
	tid := reflect.TypeFor[tenant.ID]()
	st := reflect.TypeFor[*store.Store]()
	scoped := map[string]bool{}
	for m := range st.Methods() {
		for in := range m.Type.Ins() {
			if in == tid {
				scoped[m.Name] = true
			}
		}
	}
	for name := range scoped {
		if !slices.Contains(checked, name) && checkedElsewhere[name] == "" {
			t.Errorf("(*store.Store).%s takes a tenant.ID but no isolation case checks it: add it to the TenantIsolation table or to checkedElsewhere with the case that does", name)
		}
	}
	for name := range checkedElsewhere {
		if !scoped[name] {
			t.Errorf("checkedElsewhere names %s, which is no tenant-scoped method of *store.Store", name)
		}
	}
	for _, name := range checked {
		if !scoped[name] {
			t.Errorf("the isolation table's case %q names no tenant-scoped method of *store.Store", name)
		}
	}
}
