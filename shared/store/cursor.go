package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
)

// cursorSealer turns a Position into an opaque page token: AES-256-GCM under a
// platform secret kept in the table, with the tenant and the query as
// additional data. A token is therefore unreadable, unforgeable, and refused
// for any other tenant or query.
type cursorSealer struct {
	table Table
	mu    sync.Mutex
	aead  cipher.AEAD
}

func (c *cursorSealer) cipher(ctx context.Context) (cipher.AEAD, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aead != nil {
		return c.aead, nil
	}
	it, err := c.table.Get(ctx, cursorSecretKey())
	if errors.Is(err, ErrNotFound) {
		secret := make([]byte, 32)
		rand.Read(secret)
		_, err = c.table.Put(ctx, Item{Key: cursorSecretKey(), Data: secret}, CondAbsent)
		if err != nil && !errors.Is(err, ErrConditionFailed) {
			return nil, err
		}
		// Read back: a concurrent first writer may have won.
		it, err = c.table.Get(ctx, cursorSecretKey())
	}
	if err != nil {
		return nil, fmt.Errorf("store: cursor secret: %w", err)
	}
	block, err := aes.NewCipher(it.Data)
	if err != nil {
		return nil, fmt.Errorf("store: cursor secret: %w", err)
	}
	c.aead, err = cipher.NewGCM(block)
	return c.aead, err
}

func (c *cursorSealer) seal(ctx context.Context, pos Position, binding string) (string, error) {
	aead, err := c.cipher(ctx)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+128)
	rand.Read(nonce)
	plain, _ := json.Marshal(pos)
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, []byte(binding))), nil
}

func (c *cursorSealer) open(ctx context.Context, token, binding string) (Position, error) {
	aead, err := c.cipher(ctx)
	if err != nil {
		return Position{}, err
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() || len(token) > 2048 {
		return Position{}, ErrBadCursor
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(binding))
	if err != nil {
		return Position{}, ErrBadCursor
	}
	var pos Position
	if json.Unmarshal(plain, &pos) != nil || pos.PK == "" {
		return Position{}, ErrBadCursor
	}
	return pos, nil
}
