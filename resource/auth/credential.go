package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"unsafe"
)

// Kind is the shape of credential a request presented.
type Kind int

// Credential kinds.
const (
	KindNone    Kind = iota // nothing presented
	KindBearer              // Authorization: Bearer <token>
	KindAPIKey              // X-Api-Key: <key>
	KindBasic               // Authorization: Basic base64(id:secret)
	KindZscaler             // X-Zscaler-Client-ID + X-Zscaler-Client-Secret
)

// MaxCredentialLen bounds any presented credential; longer ones are rejected
// before parsing (an oversized header is an attack, not a token).
const MaxCredentialLen = 16 << 10

// Credential is what a request presented. Token holds a bearer token or API
// key; ID/Secret hold a Basic or X-Zscaler-* pair.
type Credential struct {
	Kind   Kind
	Token  string
	ID     string
	Secret string
}

// Presented reports whether the request carried any credential.
func (c Credential) Presented() bool { return c.Kind != KindNone }

// ErrMalformed is returned when a credential header is present but unusable.
var ErrMalformed = errors.New("malformed credentials")

// ParseCredential extracts the credential from request headers. Exactly one
// credential may be presented; several different ones, an unknown scheme or a
// malformed value give an error wrapping ErrMalformed whose text is safe to
// show (it never echoes the value).
func ParseCredential(h http.Header) (Credential, error) {
	var found []Credential
	// Direct map reads: net/http stores canonical keys, and these names are
	// canonical already (h.Values would canonicalise them on every request).
	authz := h["Authorization"]
	if len(authz) > 1 {
		return Credential{}, malformed("more than one Authorization header")
	}
	if len(authz) == 1 {
		c, err := parseAuthorization(authz[0])
		if err != nil {
			return Credential{}, err
		}
		found = append(found, c)
	}
	if keys := h["X-Api-Key"]; len(keys) > 0 {
		if len(keys) > 1 {
			return Credential{}, malformed("more than one X-Api-Key header")
		}
		k := strings.TrimSpace(keys[0])
		if k == "" || len(k) > MaxCredentialLen || !printable(k) {
			return Credential{}, malformed("X-Api-Key is empty or invalid")
		}
		found = append(found, Credential{Kind: KindAPIKey, Token: k})
	}
	ids, secrets := h["X-Zscaler-Client-Id"], h["X-Zscaler-Client-Secret"]
	if len(ids) > 0 || len(secrets) > 0 {
		if len(ids) != 1 || len(secrets) != 1 {
			return Credential{}, malformed("X-Zscaler-Client-ID and X-Zscaler-Client-Secret must both be sent once")
		}
		id, sec := strings.TrimSpace(ids[0]), strings.TrimSpace(secrets[0])
		if id == "" || sec == "" || len(id)+len(sec) > MaxCredentialLen || !printable(id) || !printable(sec) {
			return Credential{}, malformed("X-Zscaler-Client-ID or X-Zscaler-Client-Secret is empty or invalid")
		}
		found = append(found, Credential{Kind: KindZscaler, ID: id, Secret: sec})
	}
	switch len(found) {
	case 0:
		return Credential{}, nil
	case 1:
		return found[0], nil
	default:
		return Credential{}, malformed("more than one credential presented")
	}
}

func parseAuthorization(v string) (Credential, error) {
	if len(v) > MaxCredentialLen {
		return Credential{}, malformed("Authorization header too long")
	}
	scheme, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok {
		return Credential{}, malformed("Authorization header must be '<scheme> <credentials>'")
	}
	rest = strings.TrimSpace(rest)
	if rest == "" || !visible(rest) {
		return Credential{}, malformed("Authorization credentials are empty or invalid")
	}
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return Credential{Kind: KindBearer, Token: rest}, nil
	case strings.EqualFold(scheme, "Basic"):
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return Credential{}, malformed("Basic credentials are not valid base64")
		}
		id, secret, ok := strings.Cut(string(raw), ":")
		if !ok || id == "" || secret == "" || !printable(id) || !printable(secret) {
			return Credential{}, malformed("Basic credentials must be base64(client_id:client_secret)")
		}
		return Credential{Kind: KindBasic, ID: id, Secret: secret}, nil
	default:
		return Credential{}, malformed("unsupported Authorization scheme (use Bearer or Basic)")
	}
}

// printable reports whether s holds only visible ASCII and spaces.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// visible reports whether s is only visible ASCII (0x21-0x7e): printable
// without spaces. It runs on every token of every request, so it tests
// eight bytes at a time ("determine if a word has a byte less than /
// greater than n", Bit Twiddling Hacks; a borrow or carry between bytes
// only happens when some byte already fails).
func visible(s string) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		below := (x - ones*0x21) &^ x & highs       // a byte < 0x21
		above := (x + ones*(0x7f-0x7e) | x) & highs // a byte > 0x7e
		if below|above != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] <= 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func malformed(msg string) error {
	return &malformedError{msg: msg}
}

type malformedError struct{ msg string }

func (e *malformedError) Error() string { return e.msg }
func (e *malformedError) Unwrap() error { return ErrMalformed }

// TokenHash is the SHA-256 of a credential: what the verification caches
// keep instead of the credential itself.
func TokenHash(s string) [sha256.Size]byte {
	// sha256.Sum256 only reads its argument: hash the string's bytes where
	// they are instead of copying a token of up to MaxCredentialLen bytes
	// on every request.
	return sha256.Sum256(unsafe.Slice(unsafe.StringData(s), len(s)))
}
