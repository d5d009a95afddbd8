package tools

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// ConfirmationArg is the argument a delete tool takes the confirmation
// token in.
const ConfirmationArg = "confirmation_token"

// DefaultConfirmationTTL is how long a confirmation token (or an open
// elicitation) stays valid unless configured otherwise.
const DefaultConfirmationTTL = 5 * time.Minute

// maxUsedTokens bounds the memory of spent tokens. Tokens are remembered
// until they expire; when that many unexpired tokens are spent, new
// confirmations are refused rather than forgetting one (which would allow
// its reuse).
const maxUsedTokens = 100_000

// Token errors, as the agent sees them (wrapped with what to do next).
var (
	errTokenMalformed = errors.New("the confirmation token is malformed")
	errTokenMismatch  = errors.New("the confirmation token does not match this tool and these arguments (any changed argument invalidates it)")
	errTokenExpired   = errors.New("the confirmation token has expired")
	errTokenUsed      = errors.New("the confirmation token has already been used")
	errTokenBusy      = errors.New("too many confirmations are outstanding; try again later")
)

// tokens issues and checks single-use confirmation tokens: HMAC-SHA256,
// under a random per-process key, over the tool name, the caller, the
// canonical JSON of the arguments (the token argument excluded), a nonce
// and the expiry. Tokens are worthless after a restart.
type tokens struct {
	key [32]byte
	ttl time.Duration
	now func() time.Time

	mu   sync.Mutex
	used map[[sha256.Size]byte]time.Time // MAC of a spent token → its expiry
}

func newTokens(ttl time.Duration, now func() time.Time) (*tokens, error) {
	t := &tokens{ttl: ttl, now: now, used: map[[sha256.Size]byte]time.Time{}}
	if _, err := rand.Read(t.key[:]); err != nil {
		return nil, fmt.Errorf("confirmation key: %w", err)
	}
	return t, nil
}

// token layout: "zc1." + base64url(nonce[16] || expiry unix seconds
// [8]) + "." + base64url(mac).
const tokenPrefix = "zc1."

func (t *tokens) mac(tool, caller string, canon, nonce []byte, exp int64) []byte {
	m := hmac.New(sha256.New, t.key[:])
	var e [8]byte
	binary.BigEndian.PutUint64(e[:], uint64(exp))
	// Length-prefix every field so no two inputs share an encoding.
	for _, f := range [][]byte{[]byte(tool), []byte(caller), canon, nonce, e[:]} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		m.Write(n[:])
		m.Write(f)
	}
	return m.Sum(nil)
}

// issue returns a fresh token for tool, caller and canon, and its expiry.
func (t *tokens) issue(tool, caller string, canon []byte) (string, time.Time, error) {
	var nonce [16]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return "", time.Time{}, fmt.Errorf("confirmation nonce: %w", err)
	}
	exp := t.now().Add(t.ttl).Truncate(time.Second)
	body := make([]byte, 0, 24)
	body = append(body, nonce[:]...)
	body = binary.BigEndian.AppendUint64(body, uint64(exp.Unix()))
	mac := t.mac(tool, caller, canon, nonce[:], exp.Unix())
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(mac), exp, nil
}

// redeem verifies tok for tool, caller and canon (constant-time MAC
// compare, expiry) and spends it; a token verifies once.
func (t *tokens) redeem(tok, tool, caller string, canon []byte) error {
	rest, ok := strings.CutPrefix(tok, tokenPrefix)
	if !ok {
		return errTokenMalformed
	}
	b64body, b64mac, ok := strings.Cut(rest, ".")
	if !ok {
		return errTokenMalformed
	}
	body, err1 := base64.RawURLEncoding.DecodeString(b64body)
	got, err2 := base64.RawURLEncoding.DecodeString(b64mac)
	if err1 != nil || err2 != nil || len(body) != 24 || len(got) != sha256.Size {
		return errTokenMalformed
	}
	exp := int64(binary.BigEndian.Uint64(body[16:]))
	if !hmac.Equal(got, t.mac(tool, caller, canon, body[:16], exp)) {
		return errTokenMismatch
	}
	now := t.now()
	if !now.Before(time.Unix(exp, 0)) {
		return errTokenExpired
	}
	key := [sha256.Size]byte(got)
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, spent := t.used[key]; spent {
		return errTokenUsed
	}
	if len(t.used) >= maxUsedTokens {
		for k, e := range t.used {
			if !now.Before(e) {
				delete(t.used, k)
			}
		}
		if len(t.used) >= maxUsedTokens {
			return errTokenBusy
		}
	}
	t.used[key] = time.Unix(exp, 0)
	return nil
}

// canonicalArgs is the canonical JSON of the tool arguments: object keys
// sorted at every depth, numbers kept as written, the confirmation token
// argument left out. raw is the arguments as received (nil or "null" for
// none).
func canonicalArgs(raw []byte) ([]byte, map[string]any, error) {
	args := map[string]any{}
	if len(bytes.TrimSpace(raw)) > 0 && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		if err := d.Decode(&args); err != nil {
			return nil, nil, fmt.Errorf("arguments must be a JSON object: %w", err)
		}
	}
	delete(args, ConfirmationArg)
	// encoding/json sorts map keys; json.Number marshals as written.
	canon, err := json.Marshal(args)
	if err != nil {
		return nil, nil, fmt.Errorf("canonical arguments: %w", err)
	}
	return canon, args, nil
}
