package oauthserver

// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document,
// MCP authorization spec 2025-11-25): a client_id that is an https URL with
// a path names a JSON document describing the client. This file fetches
// it safely and mirrors it into the store (origin cimd) before the normal
// client lookup of /authorize and /token runs, so grants, tokens and
// consents reference a real client row.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ory/fosite"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// Limits of a Client ID Metadata Document fetch.
const (
	cimdMaxBytes   = 5 << 10
	cimdTimeout    = 5 * time.Second
	cimdDefaultTTL = 5 * time.Minute
	cimdMaxTTL     = 24 * time.Hour
	cimdMaxEntries = 10_000
)

// errCIMD is wrapped by every refusal of a metadata document.
var errCIMD = errors.New("client metadata document")

// errCIMDUnavailable is wrapped as well when the document could not be
// obtained (network error, timeout, 5xx), as opposed to a document that
// was obtained and refused.
var errCIMDUnavailable = errors.New("temporarily unavailable")

// cimdStaleTTL is how long a stored document is used again after a fetch
// failed with errCIMDUnavailable, before the next attempt.
const cimdStaleTTL = time.Minute

// isCIMDClientID reports whether clientID is meant as a metadata document
// URL (an absolute http or https URL). http ones are then refused by
// cimdURL; every other client id is an ordinary registered one.
func isCIMDClientID(clientID string) bool {
	l := strings.ToLower(clientID)
	return strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://")
}

// cimdURL validates a metadata document URL: https, a host, a path other
// than "/", no userinfo, fragment or dot segments, at most maxURILength
// bytes, and canonical (it re-serialises to the same bytes, so the URL
// fetched is byte for byte the client id).
func cimdURL(raw string) (*url.URL, error) {
	bad := func(why string) (*url.URL, error) { return nil, fmt.Errorf("%w: client_id %q: %s", errCIMD, raw, why) }
	if len(raw) > maxURILength {
		return bad("too long")
	}
	for _, c := range raw {
		if c <= 0x20 || c == 0x7f || c == '\\' {
			return bad("contains whitespace, a control character or a backslash")
		}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad(err.Error())
	}
	switch {
	case u.Scheme != "https":
		return bad("must be an https URL")
	case u.Hostname() == "":
		return bad("has no host")
	case u.User != nil:
		return bad("contains userinfo")
	case strings.Contains(raw, "#"):
		return bad("contains a fragment")
	case u.Path == "" || u.Path == "/":
		return bad("has no path")
	case hasDotSegment(u.EscapedPath()):
		return bad("contains a dot segment")
	case u.String() != raw:
		// The document is fetched from, and must name, exactly this URL.
		return bad("is not in canonical form")
	}
	return u, nil
}

// cimdDocument is a metadata document: registration metadata plus the
// client's own id. A secret is refused (CIMD clients are public or use
// private_key_jwt, which this server does not support).
type cimdDocument struct {
	ClientID              string          `json:"client_id"`
	ClientSecret          json.RawMessage `json:"client_secret"`
	ClientSecretExpiresAt json.RawMessage `json:"client_secret_expires_at"`
	clientMetadata
}

// cimdResolver fetches metadata documents and keeps the store's copy
// fresh. Freshness (from Cache-Control) is kept in memory; the document
// itself lives in the client row.
type cimdResolver struct {
	srv     *Server
	client  *http.Client
	timeout time.Duration
	locks   keyedMutex

	mu    sync.Mutex
	fresh map[string]time.Time // client id → fresh until
}

// newCIMDResolver builds the fetching client from base: its TLS settings
// are kept (a clone of its *http.Transport; any other RoundTripper is
// replaced by a clone of http.DefaultTransport), while proxying is turned
// off and every connection goes through the address-checking dialer.
func newCIMDResolver(s *Server, base *http.Client, allowLoopback bool) *cimdResolver {
	var tr *http.Transport
	if base != nil {
		if t, ok := base.Transport.(*http.Transport); ok {
			tr = t.Clone()
		}
	}
	if tr == nil {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	tr.Proxy = nil // a proxy would dial on our behalf, unchecked
	d := &safeDialer{allowLoopback: allowLoopback}
	tr.DialContext = d.DialContext
	tr.DialTLSContext = nil
	tr.MaxResponseHeaderBytes = 16 << 10
	return &cimdResolver{
		srv: s,
		client: &http.Client{
			Transport:     tr,
			Timeout:       cimdTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout: cimdTimeout,
		fresh:   make(map[string]time.Time),
	}
}

// resolveCIMD makes sure that a metadata-document client id has a fresh
// client row. It returns nil for any other client id, for a fresh cached
// document, and for a URL-shaped id that an administrator registered
// (origin other than cimd). Failures are invalid_client.
func (s *Server) resolveCIMD(ctx context.Context, clientID string) *fosite.RFC6749Error {
	if s.cimd == nil || !isCIMDClientID(clientID) {
		return nil
	}
	if err := s.cimd.ensure(ctx, clientID); err != nil {
		s.audit(ctx, store.AuditEvent{Type: store.AuditClientCIMDFailed, Outcome: store.OutcomeFailure, ClientID: clientID, Reason: reason(err)})
		var rfc *fosite.RFC6749Error
		if errors.As(err, &rfc) {
			return rfc
		}
		s.log.Info("oauthserver: client metadata document refused", "client_id", clientID, "err", err)
		return fosite.ErrInvalidClient.WithHintf("The client metadata document could not be used: %v", err).WithWrap(err)
	}
	return nil
}

func (c *cimdResolver) isFresh(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	until, ok := c.fresh[id]
	return ok && c.srv.now().Before(until)
}

func (c *cimdResolver) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.fresh, id)
}

// freshRow reports whether id is fresh and its row still exists (it may
// have been deleted by an administrator or another replica; the document
// is then fetched again).
func (c *cimdResolver) freshRow(ctx context.Context, id string) bool {
	if !c.isFresh(id) {
		return false
	}
	if _, err := c.srv.st.LookupClient(ctx, id); err != nil {
		c.forget(id)
		return false
	}
	return true
}

func (c *cimdResolver) markFresh(id string, ttl time.Duration) {
	now := c.srv.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if ttl <= 0 {
		delete(c.fresh, id)
		return
	}
	if len(c.fresh) >= cimdMaxEntries {
		for k, until := range c.fresh {
			if !now.Before(until) {
				delete(c.fresh, k)
			}
		}
		for k := range c.fresh { // still full: forget arbitrary entries
			if len(c.fresh) < cimdMaxEntries {
				break
			}
			delete(c.fresh, k)
		}
	}
	c.fresh[id] = now.Add(ttl)
}

// ensure fetches the document of id unless a fresh one is cached and
// creates or updates the client row. Concurrent calls for one id share
// the work (the later ones find it fresh).
func (c *cimdResolver) ensure(ctx context.Context, id string) error {
	if c.freshRow(ctx, id) {
		return nil
	}
	u, err := cimdURL(id)
	if err != nil {
		return err
	}
	unlock := c.locks.lock(id)
	defer unlock()
	if c.freshRow(ctx, id) {
		return nil
	}
	st := c.srv.st
	existing, err := st.LookupClient(ctx, id)
	switch {
	case err == nil && existing.Origin != store.OriginCIMD:
		return nil // configured by the administrator: not a document
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return fosite.ErrServerError.WithWrap(err)
	}
	doc, raw, ttl, err := c.fetch(ctx, u)
	if err != nil {
		if existing != nil && errors.Is(err, errCIMDUnavailable) {
			// stale-if-error: a host outage must not break the refreshes
			// of clients we already know; a refused document still does.
			c.srv.log.Warn("oauthserver: client metadata document unavailable; using the stored copy", "client_id", id, "err", err)
			c.markFresh(id, cimdStaleTTL)
			return nil
		}
		return err
	}
	cl := &store.Client{Origin: store.OriginCIMD, ID: id}
	if existing != nil {
		cl = existing.Clone()
	}
	if _, err := c.srv.applyMetadata(cl, &doc.clientMetadata); err != nil {
		return fosite.ErrServerError.WithWrap(err)
	}
	cl.Metadata = raw
	cl.SecretHash, cl.RegistrationAccessTokenHash = nil, nil
	if existing == nil {
		err = st.CreateClient(ctx, cl)
		if errors.Is(err, store.ErrAlreadyExists) { // another replica won
			err = st.UpdateClient(ctx, cl)
		}
	} else {
		err = st.UpdateClient(ctx, cl)
	}
	if err != nil {
		return fosite.ErrServerError.WithWrap(fmt.Errorf("oauthserver: store metadata-document client: %w", err))
	}
	c.markFresh(id, ttl)
	return nil
}

// fetch GETs and validates the document at u. It returns the document,
// its raw bytes and how long it may be cached.
func (c *cimdResolver) fetch(ctx context.Context, u *url.URL) (*cimdDocument, []byte, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%w: %v", errCIMD, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%w: fetch failed (%w): %w", errCIMD, errCIMDUnavailable, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, nil, 0, fmt.Errorf("%w: the server answered with a redirect (%d), which is not followed", errCIMD, resp.StatusCode)
	case resp.StatusCode >= 500:
		return nil, nil, 0, fmt.Errorf("%w: the server answered %d (%w)", errCIMD, resp.StatusCode, errCIMDUnavailable)
	case resp.StatusCode != http.StatusOK:
		return nil, nil, 0, fmt.Errorf("%w: the server answered %d", errCIMD, resp.StatusCode)
	case resp.ContentLength > cimdMaxBytes:
		return nil, nil, 0, fmt.Errorf("%w: larger than %d bytes", errCIMD, cimdMaxBytes)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, cimdMaxBytes+1))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%w: read failed (%w): %w", errCIMD, errCIMDUnavailable, err)
	}
	if len(raw) > cimdMaxBytes {
		return nil, nil, 0, fmt.Errorf("%w: larger than %d bytes", errCIMD, cimdMaxBytes)
	}
	var doc cimdDocument
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, nil, 0, fmt.Errorf("%w: not a JSON client metadata object: %w", errCIMD, err)
	}
	if doc.ClientID != u.String() || doc.ClientID == "" {
		return nil, nil, 0, fmt.Errorf("%w: its client_id %q is not the document URL", errCIMD, doc.ClientID)
	}
	if len(doc.ClientSecret) > 0 || len(doc.ClientSecretExpiresAt) > 0 {
		return nil, nil, 0, fmt.Errorf("%w: must not contain a client secret", errCIMD)
	}
	if doc.TokenEndpointAuthMethod == "" {
		doc.TokenEndpointAuthMethod = store.AuthMethodNone
	}
	if doc.TokenEndpointAuthMethod != store.AuthMethodNone {
		return nil, nil, 0, fmt.Errorf("%w: token_endpoint_auth_method %q is not supported (none)", errCIMD, doc.TokenEndpointAuthMethod)
	}
	if err := doc.validate(); err != nil {
		return nil, nil, 0, fmt.Errorf("%w: %w", errCIMD, err)
	}
	return &doc, raw, cacheTTL(resp.Header), nil
}

// cacheTTL derives the freshness of a document from Cache-Control:
// no-store, no-cache or max-age=0 → not cached; max-age → that many
// seconds, at most cimdMaxTTL; none → cimdDefaultTTL. Expires is not
// consulted.
func cacheTTL(h http.Header) time.Duration {
	ttl := cimdDefaultTTL
	for _, v := range h.Values("Cache-Control") {
		for d := range strings.SplitSeq(v, ",") {
			d = strings.ToLower(strings.TrimSpace(d))
			switch {
			case d == "no-store" || d == "no-cache":
				return 0
			case strings.HasPrefix(d, "max-age="):
				n, err := strconv.ParseInt(strings.Trim(d[len("max-age="):], `"`), 10, 64)
				if err != nil || n < 0 {
					continue
				}
				if n > int64(cimdMaxTTL/time.Second) {
					n = int64(cimdMaxTTL / time.Second)
				}
				ttl = time.Duration(n) * time.Second
			}
		}
	}
	return ttl
}

// safeDialer connects only to public addresses: it resolves the host,
// refuses the connection if any address is not public, dials a checked
// address, and re-checks the actual remote address in Control (so a
// second resolution inside the dialer cannot substitute another one).
type safeDialer struct {
	allowLoopback bool
}

// DialContext implements http.Transport.DialContext.
func (d *safeDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	if ip, perr := netip.ParseAddr(strings.Trim(host, "[]")); perr == nil {
		ips = []netip.Addr{ip}
	} else {
		ips, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("resolve %s: no address", host)
	}
	for _, ip := range ips {
		if err := d.check(ip); err != nil {
			return nil, fmt.Errorf("%s: %w", host, err)
		}
	}
	dialer := &net.Dialer{Timeout: cimdTimeout, Control: d.control}
	var lastErr error
	for _, ip := range ips {
		conn, err := dialer.DialContext(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

// control re-checks the address the socket is about to connect to.
func (d *safeDialer) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refusing to dial %q: %w", address, err)
	}
	return d.check(ap.Addr())
}

// errNonPublicAddress is wrapped when a metadata host is not public.
var errNonPublicAddress = errors.New("address is not public")

func (d *safeDialer) check(ip netip.Addr) error {
	ip = ip.Unmap()
	if d.allowLoopback && ip.IsLoopback() {
		return nil
	}
	if !isPublicAddr(ip) {
		return fmt.Errorf("refusing to connect to %s: %w", ip, errNonPublicAddress)
	}
	return nil
}

// nonPublicPrefixes are special-purpose ranges (RFC 6890 and successors)
// beyond what netip's predicates cover.
var nonPublicPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
		"::/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
		"2002::/16", "fec0::/10", "3fff::/20", "5f00::/16",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// isPublicAddr reports whether ip is a globally routable unicast address:
// not unspecified, loopback, private, link-local, multicast, CGNAT,
// documentation, benchmarking, reserved, NAT64 or 6to4/Teredo (which can
// embed a private IPv4 address). IPv4-mapped IPv6 addresses are judged as
// IPv4.
func isPublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.Zone() != "" || ip.IsUnspecified() || ip.IsLoopback() || ip.IsPrivate() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() ||
		ip.IsMulticast() || !ip.IsGlobalUnicast() {
		return false
	}
	for _, p := range nonPublicPrefixes {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}
