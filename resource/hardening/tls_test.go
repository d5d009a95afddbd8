package hardening

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testPKI is a CA with a server and a client certificate, plus a client
// certificate from an unrelated CA, all written as PEM files.
type testPKI struct {
	dir                       string
	caFile, certFile, keyFile string
	caPool                    *x509.CertPool
	client, rogueClient       tls.Certificate
}

type issued struct {
	cert *x509.Certificate
	der  []byte
	key  *ecdsa.PrivateKey
}

func issue(t *testing.T, tmpl *x509.Certificate, parent *issued) *issued {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl.SerialNumber = serial
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(time.Hour)
	parentCert, signer := tmpl, key
	if parent != nil {
		parentCert, signer = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parentCert, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &issued{cert: cert, der: der, key: key}
}

func newCA(t *testing.T, name string) *issued {
	return issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: name}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}, nil)
}

func (i *issued) pair(t *testing.T) tls.Certificate {
	t.Helper()
	return tls.Certificate{Certificate: [][]byte{i.der}, PrivateKey: i.key, Leaf: i.cert}
}

func certPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func keyPEM(t *testing.T, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func newPKI(t *testing.T) *testPKI {
	t.Helper()
	ca := newCA(t, "test CA")
	server := issue(t, &x509.Certificate{
		Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca)
	clientTmpl := func() *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: "bot"}, KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	}
	client := issue(t, clientTmpl(), ca)
	rogue := issue(t, clientTmpl(), newCA(t, "rogue CA"))

	dir := t.TempDir()
	p := &testPKI{dir: dir, caPool: x509.NewCertPool()}
	p.caPool.AddCert(ca.cert)
	p.caFile = writeFile(t, filepath.Join(dir, "ca.pem"), certPEM(ca.der))
	p.certFile = writeFile(t, filepath.Join(dir, "server.pem"), certPEM(server.der))
	p.keyFile = writeFile(t, filepath.Join(dir, "server.key"), keyPEM(t, server.key))
	p.client, p.rogueClient = client.pair(t), rogue.pair(t)
	return p
}

func TestServerTLSConfig(t *testing.T) {
	p := newPKI(t)
	cfg, err := ServerTLSConfig(p.certFile, p.keyFile, "")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MinVersion != tls.VersionTLS12 || cfg.ClientAuth != tls.NoClientCert || len(cfg.Certificates) != 1 {
		t.Errorf("without CA: MinVersion %x ClientAuth %v certs %d", cfg.MinVersion, cfg.ClientAuth, len(cfg.Certificates))
	}
	cfg, err = ServerTLSConfig(p.certFile, p.keyFile, p.caFile)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ClientAuth != tls.VerifyClientCertIfGiven || cfg.ClientCAs == nil {
		t.Errorf("with CA: ClientAuth %v, ClientCAs %v", cfg.ClientAuth, cfg.ClientCAs)
	}

	otherKey := writeFile(t, filepath.Join(p.dir, "other.key"), keyPEM(t, issue(t, &x509.Certificate{}, nil).key))
	garbage := writeFile(t, filepath.Join(p.dir, "garbage.pem"), []byte("not pem"))
	missing := filepath.Join(p.dir, "missing.pem")
	tests := []struct {
		name               string
		cert, key, ca      string
		wantInErr1, wantIn string
	}{
		{"no cert", "", p.keyFile, "", "both a certificate file and a key file", ""},
		{"no key", p.certFile, "", "", "both a certificate file and a key file", ""},
		{"missing cert", missing, p.keyFile, "", "TLS certificate file", missing},
		{"missing key", p.certFile, missing, "", "TLS key file", missing},
		{"cert not PEM", garbage, p.keyFile, "", garbage, p.keyFile},
		{"key does not match", p.certFile, otherKey, "", p.certFile, otherKey},
		{"missing CA", p.certFile, p.keyFile, missing, "client CA file", missing},
		{"CA not PEM", p.certFile, p.keyFile, garbage, "holds no PEM certificate", garbage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ServerTLSConfig(tt.cert, tt.key, tt.ca)
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range []string{tt.wantInErr1, tt.wantIn} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

func TestMutualTLS(t *testing.T) {
	p := newPKI(t)
	cfg, err := ServerTLSConfig(p.certFile, p.keyFile, p.caFile)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", RequireClientCert(true)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("hello " + r.TLS.VerifiedChains[0][0].Subject.CommonName))
	})))
	mux.Handle("/login", RequireClientCert(false)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("login page"))
	})))
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)

	client := func(certs []tls.Certificate, force bool, maxVersion uint16) *http.Client {
		cfg := &tls.Config{RootCAs: p.caPool, Certificates: certs, MaxVersion: maxVersion}
		if maxVersion != 0 {
			cfg.MinVersion = tls.VersionTLS10 // so a refusal is the server's
		}
		if force { // send the certificate even though its CA is not one the server named
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &certs[0], nil }
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	}
	tests := []struct {
		name        string
		certs       []tls.Certificate
		force       bool
		maxVersion  uint16
		path        string
		want        int
		wantBody    string
		wantConnErr string // substring of the client's error
	}{
		{name: "client cert on MCP", certs: []tls.Certificate{p.client}, path: "/mcp", want: 200, wantBody: "hello bot"},
		{name: "client cert TLS 1.2", certs: []tls.Certificate{p.client}, maxVersion: tls.VersionTLS12, path: "/mcp", want: 200, wantBody: "hello bot"},
		{name: "no cert on MCP", path: "/mcp", want: 403},
		{name: "no cert on login page", path: "/login", want: 200, wantBody: "login page"},
		{name: "untrusted cert is not offered", certs: []tls.Certificate{p.rogueClient}, path: "/mcp", want: 403},
		{name: "untrusted cert refused in handshake", certs: []tls.Certificate{p.rogueClient}, force: true, path: "/login", wantConnErr: "certificate"},
		{name: "TLS 1.1 refused", maxVersion: tls.VersionTLS11, path: "/login", wantConnErr: "protocol version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := client(tt.certs, tt.force, tt.maxVersion)
			defer c.CloseIdleConnections()
			req, _ := http.NewRequest(http.MethodGet, srv.URL+tt.path, nil)
			if tt.wantConnErr != "" {
				resp, err := c.Do(req)
				if err == nil {
					resp.Body.Close()
					t.Fatalf("request succeeded with status %d, want a TLS failure", resp.StatusCode)
				}
				if !strings.Contains(err.Error(), tt.wantConnErr) {
					t.Fatalf("error %q does not mention %q", err, tt.wantConnErr)
				}
				return
			}
			resp, body := do(t, c, req)
			if tt.want == 403 {
				wantJSONError(t, resp, body, 403, "forbidden", "client certificate required")
				return
			}
			if resp.StatusCode != tt.want || body != tt.wantBody {
				t.Fatalf("status %d body %q, want %d %q", resp.StatusCode, body, tt.want, tt.wantBody)
			}
		})
	}
}

func TestRequireClientCertPlainHTTP(t *testing.T) {
	next := newOK()
	rec := httptest.NewRecorder()
	RequireClientCert(true)(next).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/mcp", nil))
	if rec.Code != http.StatusForbidden || next.ran() {
		t.Fatalf("plain HTTP: status %d, ran %v; want 403", rec.Code, next.ran())
	}
	// A TLS connection that presented no verified chain is refused too.
	r := httptest.NewRequest(http.MethodGet, "/mcp", nil)
	r.TLS = &tls.ConnectionState{HandshakeComplete: true}
	rec = httptest.NewRecorder()
	RequireClientCert(true)(next).ServeHTTP(rec, r)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("TLS without chain: status %d, want 403", rec.Code)
	}
}
