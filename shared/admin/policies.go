package admin

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sharkauth/serverless/shared/audit"
	"github.com/sharkauth/serverless/shared/httpx"
	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/store"
)

// An agent's delegation policies (SharkAuth's /api/v1/agents/{id}/policies)
// are its live may-act grants (WIRE §7.7) seen from the agent: a policy of
// agent A naming agent B is the grant from A to B, which lets A act for B in
// token exchange (SharkAuth: "the agent that holds the may_act permission").
// There is one source of truth: a policy set here is a grant the may-act API
// lists and revokes, and a grant made there is a policy here. The grant's
// to_id is the named agent's client_id, the subject of its tokens, so that
// token exchange honours it; the policy shows the agent's id.

// maxPolicies bounds the policies of one request.
const maxPolicies = 25

// policyJSON is one policy as SharkAuth's users send and read it: agent_id
// (delegate_to_id is SharkAuth's other name for it), scope as a string and
// scopes as a list, plus the grant's max_hops and expires_at. Every member
// it shows is one a POST accepts, so a GET's policies can be posted back.
type policyJSON struct {
	AgentID      string     `json:"agent_id"`
	DelegateToID string     `json:"delegate_to_id"`
	ClientID     *string    `json:"client_id"`
	Scope        string     `json:"scope"`
	Scopes       []string   `json:"scopes"`
	MaxHops      int        `json:"max_hops"`
	ExpiresAt    *time.Time `json:"expires_at"`
}

type policyInput struct {
	AgentID      *string   `json:"agent_id"`
	DelegateToID *string   `json:"delegate_to_id"`
	ClientID     *string   `json:"client_id"`
	Scope        *string   `json:"scope"`
	Scopes       *[]string `json:"scopes"`
	MaxHops      *int      `json:"max_hops"`
	ExpiresAt    *string   `json:"expires_at"`
}

func (a *API) getPolicies(w http.ResponseWriter, r *http.Request, c call) error {
	ag, err := a.agent(c)
	if err != nil {
		return err
	}
	live, err := a.liveGrants(c, ag)
	if err != nil {
		return storeErr(err, "")
	}
	return a.writePolicies(w, c, ag, live)
}

// liveGrants are the agent's live grants, under either of its names.
func (a *API) liveGrants(c call, ag store.Client) ([]store.MayActGrant, error) {
	var out []store.MayActGrant
	for _, from := range []string{ag.ID, ag.ClientID} {
		gs, err := a.Store.FindGrants(c.ctx, c.t, from, "", false)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			if g.ActiveAt(c.now) {
				out = append(out, g)
			}
		}
	}
	return out, nil
}

func (a *API) writePolicies(w http.ResponseWriter, c call, ag store.Client, grants []store.MayActGrant) error {
	list := make([]policyJSON, 0, len(grants))
	for _, g := range grants {
		p := policyJSON{AgentID: g.ToID, Scope: strings.Join(g.Scopes, " "), Scopes: nonNil(g.Scopes), MaxHops: g.MaxHops, ExpiresAt: timeJSON(g.ExpiresAt)}
		if to, err := a.Store.GetClient(c.ctx, c.t, g.ToID); err == nil && to.Kind.IsAgent() {
			p.AgentID, p.ClientID = to.ID, &to.ClientID
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return storeErr(err, "")
		}
		p.DelegateToID = p.AgentID
		list = append(list, p)
	}
	slices.SortFunc(list, func(x, y policyJSON) int {
		return strings.Compare(x.AgentID+"\x00"+strconv.Itoa(x.MaxHops)+"\x00"+x.Scope, y.AgentID+"\x00"+strconv.Itoa(y.MaxHops)+"\x00"+y.Scope)
	})
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"agent_id": ag.ID, "policies": list, "may_act": list, "data": list})
	return nil
}

// setPolicies replaces the agent's policies: grants no longer listed are
// revoked, new ones created, unchanged ones kept, all with one
// agent.policies_updated event in one transaction. [] clears them.
// Concurrent sets of one agent serialize on its record: each lands whole
// (or answers 503 after its retries), never a mix.
func (a *API) setPolicies(w http.ResponseWriter, r *http.Request, c call) error {
	ag, err := a.agent(c)
	if err != nil {
		return err
	}
	var in struct {
		Policies *[]policyInput `json:"policies"`
		MayAct   *[]policyInput `json:"may_act"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	field, items := "policies", in.Policies
	switch {
	case in.Policies != nil && in.MayAct != nil:
		return httpx.BadRequest("give policies or may_act, not both")
	case in.MayAct != nil:
		field, items = "may_act", in.MayAct
	case in.Policies == nil:
		return httpx.BadRequest("policies is required (a list; [] clears them)")
	}
	if len(*items) > maxPolicies {
		return invalid(field, "may hold at most "+strconv.Itoa(maxPolicies)+" policies")
	}
	for range 4 {
		// Read the agent first: the write is conditioned on it, so a change
		// that lands between this read and the write makes this one retry.
		if ag, err = a.Store.GetClient(c.ctx, c.t, ag.ClientID); err != nil {
			return storeErr(err, "unknown agent")
		}
		live, err := a.liveGrants(c, ag)
		if err != nil {
			return storeErr(err, "")
		}
		want, err := a.wantedGrants(c, ag, field, *items, live)
		if err != nil {
			return err
		}
		keep, revoke, create := diffGrants(live, want)
		if len(revoke)+len(create) == 0 {
			return a.writePolicies(w, c, ag, keep)
		}
		if len(revoke)+len(create) > 90 {
			return invalid(field, "changes too many grants at once: revoke some with DELETE /api/v1/admin/may-act/{id} first")
		}
		// Revoke what the table holds now (a list may lag a write).
		for i, g := range revoke {
			if revoke[i], err = a.Store.GetGrant(c.ctx, c.t, g.ID); err != nil {
				return storeErr(err, "")
			}
		}
		ev := c.event(audit.AgentPoliciesUpdated, "agent", ag.ClientID, map[string]any{
			"agent_id": ag.ID, "granted": grantIDs(create), "revoked": grantIDs(revoke), "policies": len(keep) + len(create),
		})
		err = a.Store.SetGrants(c.ctx, c.t, ag, revoke, create, ev)
		if err == nil {
			return a.writePolicies(w, c, ag, append(keep, create...))
		}
		if !errors.Is(err, store.ErrConflict) && !errors.Is(err, store.ErrTxConflict) {
			return storeErr(err, "")
		}
	}
	return &httpx.Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Message: "the policies changed concurrently; retry"}
}

// wantedGrants turns the requested policies into grants from the agent (not
// yet stored). A policy names an agent of the tenant by id or client_id; a
// name that is no agent is accepted only as the to_id of one of the agent's
// live grants (made with the may-act API), so that a GET's answer can always
// be posted back.
func (a *API) wantedGrants(c call, ag store.Client, field string, items []policyInput, live []store.MayActGrant) ([]store.MayActGrant, error) {
	out := make([]store.MayActGrant, 0, len(items))
	for i, p := range items {
		at := field + "[" + strconv.Itoa(i) + "]"
		var to string
		for _, name := range []*string{p.AgentID, p.DelegateToID, p.ClientID} {
			if name == nil || *name == "" {
				continue
			}
			id, err := a.policyTarget(c, ag, at, *name, live)
			if err != nil {
				return nil, err
			}
			if to != "" && id != to {
				return nil, invalid(at, "names two different agents")
			}
			to = id
		}
		if to == "" {
			return nil, required(at + ".agent_id")
		}
		if slices.ContainsFunc(out, func(g store.MayActGrant) bool { return g.ToID == to }) {
			return nil, invalid(at, "names an agent listed before")
		}
		scopes := []string{}
		if p.Scope != nil {
			scopes = strings.Fields(*p.Scope)
		}
		if p.Scopes != nil {
			if p.Scope != nil && !sameSet(scopes, *p.Scopes) {
				return nil, invalid(at, "gives scope and scopes that differ")
			}
			scopes = slices.Clone(*p.Scopes)
		}
		if err := checkScopes(at+".scopes", &scopes); err != nil {
			return nil, err
		}
		hops := 1
		if p.MaxHops != nil {
			hops = *p.MaxHops
		}
		if hops < 1 || hops > maxHops {
			return nil, invalid(at+".max_hops", "must be from 1 to "+strconv.Itoa(maxHops))
		}
		expires, err := parseFuture(at+".expires_at", p.ExpiresAt, c.now)
		if err != nil {
			return nil, err
		}
		out = append(out, store.MayActGrant{FromID: ag.ID, ToID: to, MaxHops: hops, Scopes: scopes, ExpiresAt: expires, CreatedAt: c.now})
	}
	return out, nil
}

// policyTarget resolves a name of a policy to the grant's to_id.
func (a *API) policyTarget(c call, ag store.Client, at, name string, live []store.MayActGrant) (string, error) {
	if !idPattern.MatchString(name) {
		return "", invalid(at+".agent_id", "is not an id")
	}
	to, err := a.Store.GetClientByID(c.ctx, c.t, name)
	if errors.Is(err, store.ErrNotFound) {
		to, err = a.Store.GetClient(c.ctx, c.t, name)
	}
	switch {
	case err == nil && to.Kind.IsAgent():
		if to.ClientID == ag.ClientID {
			return "", invalid(at+".agent_id", "names the agent itself")
		}
		return to.ClientID, nil
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return "", storeErr(err, "")
	case slices.ContainsFunc(live, func(g store.MayActGrant) bool { return g.ToID == name }):
		return name, nil
	}
	return "", invalid(at+".agent_id", "names no agent of this tenant")
}

// diffGrants splits the live grants into those a wanted grant keeps and
// those to revoke, and lists the wanted grants to create.
func diffGrants(live, want []store.MayActGrant) (keep, revoke, create []store.MayActGrant) {
	used := make([]bool, len(live))
	for _, w := range want {
		j := -1
		for i, g := range live {
			if !used[i] && g.ToID == w.ToID && sameGrant(g, w) {
				j = i
				break
			}
		}
		if j >= 0 {
			used[j] = true
			keep = append(keep, live[j])
			continue
		}
		w.ID = ids.New("mag_")
		create = append(create, w)
	}
	for j, g := range live {
		if !used[j] {
			revoke = append(revoke, g)
		}
	}
	return keep, revoke, create
}

func sameGrant(g, w store.MayActGrant) bool {
	return g.MaxHops == w.MaxHops && sameSet(g.Scopes, w.Scopes) && g.ExpiresAt.Equal(w.ExpiresAt)
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

func grantIDs(gs []store.MayActGrant) []string {
	out := make([]string, 0, len(gs))
	for _, g := range gs {
		out = append(out, g.ID)
	}
	return out
}
