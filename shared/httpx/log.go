package httpx

import (
	"io"
	"log/slog"
	"strings"
)

// Redacted replaces a value the redaction rule drops.
const Redacted = "[REDACTED]"

// sensitiveKeys are attribute names whose values never reach a log.
var sensitiveKeys = map[string]bool{
	"authorization": true, "dpop": true, "cookie": true, "set-cookie": true,
	"secret": true, "client_secret": true, "password": true, "token": true,
	"access_token": true, "refresh_token": true, "subject_token": true, "actor_token": true,
	"registration_access_token": true, "client_assertion": true, "assertion": true, "proof": true,
	"api_key": true, "admin_key": true, "platform_key": true, "private_key": true, "d": true,
}

// looksSecret catches secrets logged under an innocent name: our key formats
// and anything shaped like a JWS (tokens, proofs, assertions).
func looksSecret(s string) bool {
	return strings.Contains(s, "sk_live_") || strings.Contains(s, "sk_platform_") || strings.Contains(s, "eyJ")
}

// Redact is the slog ReplaceAttr rule that drops secrets, tokens, proofs,
// Authorization and DPoP values.
func Redact(_ []string, a slog.Attr) slog.Attr {
	if sensitiveKeys[strings.ToLower(a.Key)] {
		return slog.String(a.Key, Redacted)
	}
	switch a.Value.Kind() {
	case slog.KindString:
		if looksSecret(a.Value.String()) {
			return slog.String(a.Key, Redacted)
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok && looksSecret(err.Error()) {
			return slog.String(a.Key, Redacted)
		}
	}
	return a
}

// NewLogger returns a JSON logger with the redaction rule at level
// (debug, info, warn, error).
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l, ReplaceAttr: Redact}))
}
