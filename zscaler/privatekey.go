package zscaler

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
)

// AssertionType is the RFC 7523 client_assertion_type of private-key JWT
// client authentication.
const AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionLifetime is how long a client assertion is valid. Short: it is
// made fresh for every token request.
const assertionLifetime = 5 * time.Minute

// minRSABits is the smallest RSA key accepted (NIST SP 800-131A; the
// Zscaler Python SDK refuses smaller keys too).
const minRSABits = 2048

// signingKey is a parsed ZSCALER_PRIVATE_KEY.
type signingKey struct {
	key crypto.Signer
	alg jose.SignatureAlgorithm
}

// loadPrivateKey reads ZSCALER_PRIVATE_KEY: inline PEM (a value containing
// "-----BEGIN"; literal \n escapes, as env files often carry, are turned
// into newlines), an inline JWK (a value starting with "{"), or else the
// path of a PEM file. Errors never contain key material.
func loadPrivateKey(v string) (*signingKey, error) {
	v = strings.TrimSpace(v)
	var data []byte
	switch {
	case strings.Contains(v, "-----BEGIN"):
		if !strings.Contains(v, "\n") {
			v = strings.ReplaceAll(v, `\n`, "\n")
		}
		data = []byte(v)
	case strings.HasPrefix(v, "{"):
		return parseJWK([]byte(v))
	default:
		b, err := os.ReadFile(v)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, fmt.Errorf("ZSCALER_PRIVATE_KEY: it is neither an inline PEM key nor a readable key file: read %q: %v", v, err)
		}
		if strings.HasPrefix(strings.TrimSpace(string(b)), "{") {
			return parseJWK(b)
		}
		data = b
	}
	return parsePEMKey(data)
}

func parsePEMKey(data []byte) (*signingKey, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("ZSCALER_PRIVATE_KEY: no PEM private key found (expected a \"PRIVATE KEY\", \"RSA PRIVATE KEY\" or \"EC PRIVATE KEY\" block)")
		}
		if _, encrypted := block.Headers["Proc-Type"]; encrypted || block.Type == "ENCRYPTED PRIVATE KEY" {
			return nil, errors.New("ZSCALER_PRIVATE_KEY: the PEM key is encrypted; give an unencrypted key (protect the file with permissions instead)")
		}
		var (
			k   any
			err error
		)
		switch block.Type {
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(block.Bytes)
		default:
			continue // e.g. a certificate or EC PARAMETERS block next to the key
		}
		if err != nil {
			return nil, fmt.Errorf("ZSCALER_PRIVATE_KEY: cannot parse the %s block: %v", block.Type, err)
		}
		return newSigningKey(k)
	}
}

func parseJWK(b []byte) (*signingKey, error) {
	var jwk jose.JSONWebKey
	if err := json.Unmarshal(b, &jwk); err != nil {
		return nil, errors.New("ZSCALER_PRIVATE_KEY: the JWK is not valid JSON Web Key JSON")
	}
	if jwk.IsPublic() {
		return nil, errors.New("ZSCALER_PRIVATE_KEY: the JWK is a public key; the private key is needed")
	}
	return newSigningKey(jwk.Key)
}

// newSigningKey picks the JWS algorithm for k: RS256 for RSA (what the
// Zscaler SDKs send), ES256/384/512 by curve for EC.
func newSigningKey(k any) (*signingKey, error) {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("ZSCALER_PRIVATE_KEY: the RSA key has %d bits; at least %d are required", k.N.BitLen(), minRSABits)
		}
		return &signingKey{key: k, alg: jose.RS256}, nil
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			return &signingKey{key: k, alg: jose.ES256}, nil
		case elliptic.P384():
			return &signingKey{key: k, alg: jose.ES384}, nil
		case elliptic.P521():
			return &signingKey{key: k, alg: jose.ES512}, nil
		}
		return nil, errors.New("ZSCALER_PRIVATE_KEY: unsupported EC curve (use P-256, P-384 or P-521)")
	}
	return nil, fmt.Errorf("ZSCALER_PRIVATE_KEY: unsupported key type %T (use RSA or EC)", k)
}

// assertion returns a fresh RFC 7523 client assertion: iss = sub = the
// client id, a unique jti, iat now and a short exp. The audience follows the
// Zscaler SDKs (zscaler-sdk-go zscaler/oneapiclient.go authenticateWithCert,
// zscaler-sdk-python zscaler/oneapi_oauth_client.py), which send the OneAPI
// audience https://api.zscaler.com, the value ZIdentity is known to accept.
func (k *signingKey) assertion(clientID string, now time.Time) (string, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", fmt.Errorf("zscaler: private-key JWT signer: %w", err)
	}
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", fmt.Errorf("zscaler: private-key JWT id: %w", err)
	}
	claims := josejwt.Claims{
		Issuer:   clientID,
		Subject:  clientID,
		Audience: josejwt.Audience{Audience},
		IssuedAt: josejwt.NewNumericDate(now),
		Expiry:   josejwt.NewNumericDate(now.Add(assertionLifetime)),
		ID:       hex.EncodeToString(jti),
	}
	s, err := josejwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		return "", fmt.Errorf("zscaler: sign private-key JWT: %w", err)
	}
	return s, nil
}
