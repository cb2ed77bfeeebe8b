package main

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
)

// newActivationSecret returns 32 random bytes, hex-encoded: the bearer secret for one activation.
func newActivationSecret() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate the sidecar secret: %w", err)
	}
	return hex.EncodeToString(raw), nil
}

// bearerMatches reports whether r carries `Authorization: Bearer <secret>`. Both sides are hashed
// first so the comparison takes the same time whatever the presented length.
func bearerMatches(r *http.Request, secret string) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return false
	}
	got := sha256.Sum256([]byte(token))
	want := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}
