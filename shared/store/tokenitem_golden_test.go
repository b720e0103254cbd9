package store

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sharkauth/serverless/shared/ids"
	"github.com/sharkauth/serverless/shared/tenant"
)

// recordingTable records what the store asks the table to write and writes
// nothing; every write succeeds.
type recordingTable struct {
	Table
	puts []Item
	txs  [][]Write
}

func (r *recordingTable) Put(_ context.Context, it Item, _ Cond) (int64, error) {
	r.puts = append(r.puts, it)
	return 1, nil
}

func (r *recordingTable) Transact(_ context.Context, w []Write) error {
	r.txs = append(r.txs, w)
	return nil
}

// itemText is every stored field of it, one per line.
func itemText(it Item) string {
	return fmt.Sprintf("PK %s\nSK %s\nGSI1 %s | %s\nGSI2 %s | %s\nexp %d\ndata %s\n",
		it.PK, it.SK, it.GSI1PK, it.GSI1SK, it.GSI2PK, it.GSI2SK, it.ExpiresAt, it.Data)
}

// writerTag is the random writer tag of a single-put token item.
var writerTag = regexp.MustCompile(`"w":"([0-9a-z]+)"`)

// goldenToken is a token issued at a fixed instant with a fixed jti (its
// random part derived from proof, its tag shard 3) and its twin event.
func goldenToken(proof string, ev func(*AuditEvent)) (TokenRecord, AuditEvent, []ReplayMark) {
	at := time.Date(2026, 12, 6, 7, 0, 0, 123456789, time.UTC)
	jti := ids.DerivedTimeID(at, 3, []byte(proof))
	evID, _ := twinEventID(jti)
	evAt, _, _ := parseAuditID(evID)
	rec := TokenRecord{JTI: jti, ClientID: "agent-cid", AgentID: "agent_1", Subject: "agent-cid", Scope: "mcp:read mcp:write",
		Audience: []string{"https://api.test/<x>&y"}, JKT: "jkt-1", KID: "kid-1", GrantType: "client_credentials",
		IssuedAt: at, ExpiresAt: at.Add(15 * time.Minute)}
	e := AuditEvent{ID: evID, Event: "oauth.token_issued", ActorType: "client", ActorID: rec.ClientID, TargetType: "token", TargetID: jti,
		Status: "success", IP: "203.0.113.7", UserAgent: "agent/1.0 <bot>", CreatedAt: evAt,
		Metadata: map[string]any{"scope": rec.Scope, "jkt": rec.JKT, "aud": rec.Audience, "grant_type": rec.GrantType, "jti": jti, "dpop": true}}
	if ev != nil {
		ev(&e)
	}
	return rec, e, []ReplayMark{{Kind: "dpop", Value: proof, Until: at.Add(time.Minute)}}
}

// The exact stored item of a token, on every path that writes one: the
// single conditional put of a DPoP token (its writer tag aside, which is
// random), the transaction of a token with another mark, the event parts the
// record cannot give (another actor, metadata that differs, a created time
// that is not the id's, a long user agent cut on a character boundary, HTML
// characters unescaped), and the item a revocation or a purge rewrites
// (tokenItemOf). Pinned so that a faster encoder keeps every byte.
func TestTokenItemGolden(t *testing.T) {
	ctx := t.Context()
	acme := tenant.MustID("acme")
	sc, _ := scopeOf(acme)
	now := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)

	t.Run("dpop single put", func(t *testing.T) {
		rec, ev, marks := goldenToken("jkt-1|proof-1", nil)
		tbl := &recordingTable{}
		if err := New(tbl, func() time.Time { return now }).IssueToken(ctx, acme, Issuance{Token: rec, Marks: marks, Event: ev}); err != nil {
			t.Fatal(err)
		}
		if len(tbl.puts) != 1 || len(tbl.txs) != 0 {
			t.Fatalf("%d puts, %d transactions; want one put", len(tbl.puts), len(tbl.txs))
		}
		got := itemText(tbl.puts[0])
		m := writerTag.FindStringSubmatch(got)
		if m == nil {
			t.Fatalf("no writer tag in %s", got)
		}
		if n, err := strconv.ParseInt(m[1], 36, 64); err != nil || n < 0 || n >= 1<<62 {
			t.Errorf("writer tag %q is not base 36 of [0, 2^62)", m[1])
		}
		got = strings.Replace(got, m[0], `"w":"W"`, 1)
		want := `PK T#acme#TOKEN2#Kw-LPqCcRO2ipJc
SK T
GSI1 T#acme#CLIENTTOKENS#agent-cid | 1796540400123000000#aud_1k1y6m5zf3r03f5ncy9jrqckjb
GSI2 T#acme#AUDIT#2026-12#3 | 1796540400123000000#aud_1k1y6m5zf3r03f5ncy9jrqckjb
exp 1804316400
data {"j":"-P898k6v2Kw-LPqCcRO2ipJc","c":"agent-cid","ag":"agent_1","s":"agent-cid","sc":"mcp:read mcp:write","au":["https://api.test/<x>&y"],"k":"jkt-1","ki":"kid-1","g":"client_credentials","i":1796540400123456789,"e":1796541300123456789,"v":{"z":255,"n":"oauth.token_issued","m":{"dpop":true},"st":"success","ip":"203.0.113.7","ua":"agent/1.0 <bot>"},"w":"W"}
`
		if got != want {
			t.Errorf("stored item:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("transaction with another mark", func(t *testing.T) {
		long := strings.Repeat("é", 70) // 140 bytes: cut to 128 on a boundary
		rec, ev, marks := goldenToken("jkt-1|proof-2", func(e *AuditEvent) {
			e.ActorType, e.ActorID = "user", "usr_9"
			e.TargetType = "access_token"
			e.CreatedAt = e.CreatedAt.Add(1500 * time.Microsecond)
			e.UserAgent = long
			e.Metadata = map[string]any{"scope": "other", "jkt": e.Metadata["jkt"], "aud": []string{"https://elsewhere"},
				"grant_type": "client_credentials", "jti": e.TargetID, "n": 3, "note": "a<b>&c"}
		})
		marks = append(marks, ReplayMark{Kind: "jwt", Value: "assertion-1", Until: now.Add(time.Minute)})
		rec.RevokedAt = rec.IssuedAt.Add(time.Second)
		rec.Delegation = []string{"usr_9", "agent_0"}
		rec.Family, rec.User = "fam_1", "usr_9"
		tbl := &recordingTable{}
		if err := New(tbl, func() time.Time { return now }).IssueToken(ctx, acme, Issuance{Token: rec, Marks: marks, Event: ev}); err != nil {
			t.Fatal(err)
		}
		if len(tbl.puts) != 0 || len(tbl.txs) != 1 || len(tbl.txs[0]) != 2 {
			t.Fatalf("%d puts, %d transactions; want one transaction of two writes", len(tbl.puts), len(tbl.txs))
		}
		got := itemText(tbl.txs[0][1].Item)
		want := `PK T#acme#TOKEN2#pfTzWst1EHdsY1T
SK T
GSI1 T#acme#CLIENTTOKENS#agent-cid | 1796540400123000000#aud_1k1y6m5zf3r03dawj20a3hmzre
GSI2 T#acme#AUDIT#2026-12#3 | 1796540400123000000#aud_1k1y6m5zf3r03dawj20a3hmzre
exp 1804316400
data {"j":"-P898k6v2pfTzWst1EHdsY1T","c":"agent-cid","ag":"agent_1","s":"agent-cid","sc":"mcp:read mcp:write","au":["https://api.test/<x>&y"],"k":"jkt-1","ki":"kid-1","g":"client_credentials","i":1796540400123456789,"e":1796541300123456789,"r":1796540401123456789,"d":["usr_9","agent_0"],"f":"fam_1","u":"usr_9","v":{"z":212,"n":"oauth.token_issued","at":"user","a":"usr_9","tt":"access_token","m":{"aud":["https://elsewhere"],"n":3,"note":"a<b>&c","scope":"other"},"st":"success","ip":"203.0.113.7","ua":"` + strings.Repeat("é", 64) + `","t":1796540400124500000}}
`
		if got != want {
			t.Errorf("stored item:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("escapes and no metadata", func(t *testing.T) {
		rec, ev, _ := goldenToken("seed-4", func(e *AuditEvent) {
			e.Metadata = nil
			e.ActorType, e.ActorID = "system", ""
			e.Status = "q\"b\\s\x00\x1f\t\n\u2028\u2029 \xff end"
			e.UserAgent = "ua\u00e9\U0001F988<&>"
		})
		rec.Subject = "sub\"\\/\x7f\u2028"
		rec.Audience = nil
		rec.Scope = ""
		tbl := &recordingTable{}
		if err := New(tbl, func() time.Time { return now }).IssueToken(ctx, acme, Issuance{Token: rec, Event: ev}); err != nil {
			t.Fatal(err)
		}
		if len(tbl.puts) != 1 {
			t.Fatalf("%d puts, want one", len(tbl.puts))
		}
		got := writerTag.ReplaceAllString(itemText(tbl.puts[0]), `"w":"W"`)
		want := "PK T#acme#TOKEN2#VdDHKwQL2iETTGn\nSK T\nGSI1 T#acme#CLIENTTOKENS#agent-cid | 1796540400123000000#aud_1k1y6m5zf3r03aqj0kwa4mtajs\nGSI2 T#acme#AUDIT#2026-12#3 | 1796540400123000000#aud_1k1y6m5zf3r03aqj0kwa4mtajs\nexp 1804316400\ndata {\"j\":\"-P898k6v2VdDHKwQL2iETTGn\",\"c\":\"agent-cid\",\"ag\":\"agent_1\",\"s\":\"sub\\\"\\\\/\x7f\\u2028\",\"k\":\"jkt-1\",\"ki\":\"kid-1\",\"g\":\"client_credentials\",\"i\":1796540400123456789,\"e\":1796541300123456789,\"v\":{\"z\":2,\"n\":\"oauth.token_issued\",\"at\":\"system\",\"st\":\"q\\\"b\\\\s\\u0000\\u001f\\t\\n\\u2028\\u2029 \\ufffd end\",\"ip\":\"203.0.113.7\",\"ua\":\"uaé🦈<&>\"},\"w\":\"W\"}\n"
		if got != want {
			t.Errorf("stored item:\n%q\nwant:\n%q", got, want)
		}
	})

	t.Run("rewritten without its event", func(t *testing.T) {
		rec, _, _ := goldenToken("jkt-1|proof-3", nil)
		rec.RevokedAt = rec.IssuedAt.Add(time.Minute)
		got := itemText(tokenItemOf(sc, rec, nil, expirySeconds(rec.ExpiresAt)))
		want := `PK T#acme#TOKEN2#JF7RF5rAOwInza_
SK T
GSI1 T#acme#CLIENTTOKENS#agent-cid | 1796540400123000000#aud_1k1y6m5zf3r033matr69vs28a0
GSI2  | 
exp 1796541301
data {"j":"-P898k6v2JF7RF5rAOwInza_","c":"agent-cid","ag":"agent_1","s":"agent-cid","sc":"mcp:read mcp:write","au":["https://api.test/<x>&y"],"k":"jkt-1","ki":"kid-1","g":"client_credentials","i":1796540400123456789,"e":1796541300123456789,"r":1796540460123456789}
`
		if got != want {
			t.Errorf("stored item:\n%s\nwant:\n%s", got, want)
		}
	})
}
