package hardening

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
)

// ServerTLSConfig builds the server's TLS configuration
// (ZSCALER_MCP_TLS_CERTFILE, _KEYFILE, _CA_CERTS): TLS 1.2 or later, the
// certificate chain and key from certFile and keyFile (PEM). When caFile is
// set, client certificates are requested on every connection and verified
// against the CAs in caFile if presented (tls.VerifyClientCertIfGiven), so
// browsers without one can still reach the login pages; RequireClientCert
// then demands one on the routes that need it. Errors name the file at
// fault.
func ServerTLSConfig(certFile, keyFile, caFile string) (*tls.Config, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("TLS needs both a certificate file and a key file")
	}
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("read TLS certificate file: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("read TLS key file: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate %q with key %q: %w", certFile, keyFile, err)
	}
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
	}
	if caFile == "" {
		return cfg, nil
	}
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read client CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("client CA file %q holds no PEM certificate", caFile)
	}
	cfg.ClientCAs = pool
	cfg.ClientAuth = tls.VerifyClientCertIfGiven
	return cfg, nil
}

// RequireClientCert, when enabled, rejects with 403
// {"error":"forbidden","error_description":"client certificate required"}
// every request whose connection did not present a client certificate that
// verified against the configured CAs. Disabled, it passes every request.
func RequireClientCert(enabled bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if !enabled {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 {
				WriteJSONError(w, http.StatusForbidden, "forbidden", "client certificate required")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
