package store

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"slices"

	lru "github.com/hashicorp/golang-lru/v2"
)

// The token endpoint reads its client on every token, and decoding the
// client's JSON was most of that read's CPU (issue 23: ~15 µs per token; the
// engine already answers the Get from its item cache). So a Store keeps the
// clients it decoded, each with the exact item it decoded it from: its
// version and its bytes. A read still asks the table (strongly consistent,
// as before); when the answer is that same item, version AND bytes equal,
// the kept client is returned instead of decoding again. Decoding is a pure
// function of the bytes, so the memo can never serve a client other than the
// one the item holds now: a change anywhere (this instance, another Lambda,
// a delete and a re-creation at version 1 again) changes the bytes the table
// answers, and that answer is decoded and replaces the entry. Nothing has to
// invalidate it.
//
// Each read returns a deep copy (cloneClient): callers mutate the clients
// they read (the admin API's updates do) and must not change the kept one.

// clientMemoSize bounds the memo's entries: the clients one instance
// serves tokens to. A client item is ~0.5-1.5 KB, so a full memo of typical
// clients is a few MB (its raw bytes plus the decoded form); with items of up
// to clientMemoMaxBytes it stays under ~50 MB, which an instance only
// reaches with 4,096 distinct large clients in use at once. The embedded
// engine's item cache holds as many keys. Least recently used entries go.
const clientMemoSize = 4096

// clientMemoMaxBytes is the largest client item kept: a client with a large
// registration or key set is decoded on every read instead of holding
// memory for the instance's life.
const clientMemoMaxBytes = 4 << 10

// clientMemoEntry is one decoded client and the item it was decoded from.
// It is never changed once in the memo.
type clientMemoEntry struct {
	version int64
	data    []byte
	client  Client
}

func newClientMemo() *lru.Cache[Key, *clientMemoEntry] {
	c, err := lru.New[Key, *clientMemoEntry](clientMemoSize)
	if err != nil {
		panic(err) // only for a size <= 0
	}
	return c
}

// getClient reads and decodes the client at k, through the memo.
func (s *Store) getClient(ctx context.Context, k Key) (Client, error) {
	it, err := s.table.Get(ctx, k)
	if err != nil {
		return Client{}, err
	}
	if e, ok := s.clients.Get(k); ok && e.version == it.Version && bytes.Equal(e.data, it.Data) {
		return cloneClient(e.client), nil
	}
	c, err := unmarshal(it, setClientVersion)
	if err != nil {
		s.clients.Remove(k)
		return Client{}, err
	}
	if len(it.Data) <= clientMemoMaxBytes {
		s.clients.Add(k, &clientMemoEntry{version: it.Version, data: bytes.Clone(it.Data), client: cloneClient(c)})
	} else {
		s.clients.Remove(k)
	}
	return c, nil
}

// cloneClient is a deep copy of c: no slice, map or pointer shared.
// TestCloneClientCoversEveryField fails when a field is added that it does
// not copy.
func cloneClient(c Client) Client {
	c.SecretHash = slices.Clone(c.SecretHash)
	c.GrantTypes = slices.Clone(c.GrantTypes)
	c.Scopes = slices.Clone(c.Scopes)
	c.Audiences = slices.Clone(c.Audiences)
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	if c.Metadata != nil {
		c.Metadata = cloneJSONValue(c.Metadata).(map[string]any)
	}
	c.Extra = maps.Clone(c.Extra)
	c.JWKS = slices.Clone(c.JWKS)
	if c.AdminLimits != nil {
		l := *c.AdminLimits
		if l.Scopes != nil {
			s := slices.Clone(*l.Scopes)
			l.Scopes = &s
		}
		if l.GrantTypes != nil {
			g := slices.Clone(*l.GrantTypes)
			l.GrantTypes = &g
		}
		c.AdminLimits = &l
	}
	c.RATHash = slices.Clone(c.RATHash)
	c.Registration = slices.Clone(c.Registration)
	return c
}

// cloneJSONValue is a deep copy of a decoded JSON value (maps and lists
// copied, everything else immutable) or of the Go values a record is built
// from before it is stored (string lists and maps among them).
func cloneJSONValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return x
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = cloneJSONValue(e)
		}
		return out
	case []any:
		if x == nil {
			return x
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = cloneJSONValue(e)
		}
		return out
	case []string:
		return slices.Clone(x)
	case map[string]string:
		return maps.Clone(x)
	case json.RawMessage:
		return slices.Clone(x)
	}
	return v
}
