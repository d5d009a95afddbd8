package oauthserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/zscalermcp/zscaler-mcp/idp"
	"github.com/zscalermcp/zscaler-mcp/store"
	"github.com/zscalermcp/zscaler-mcp/store/sqlite"
)

// auditEvents returns every stored audit event, oldest first.
func (e *loginEnv) auditEvents() []store.AuditEvent {
	e.t.Helper()
	if err := e.srv.FlushAudit(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	evs, err := e.st.ListAudit(context.Background(), store.AuditFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// postToken posts a form to /token (or another path) and returns the
// status.
func (e *loginEnv) postForm(path string, form url.Values) int {
	e.t.Helper()
	resp, err := http.PostForm(e.base+path, form)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

type wantEvent struct{ typ, outcome string }

func checkSequence(t *testing.T, evs []store.AuditEvent, want []wantEvent) {
	t.Helper()
	var got []wantEvent
	for _, ev := range evs {
		got = append(got, wantEvent{ev.Type, ev.Outcome})
	}
	if len(got) != len(want) {
		t.Fatalf("audit events:\n got %v\nwant %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("audit event %d = %v, want %v\n all: %v", i, got[i], want[i], got)
		}
	}
}

// TestAuditFlow drives a real flow — dynamic registration, upstream login
// at a real OpenID provider, consent, code exchange, two refreshes, reuse
// of the first refresh token, replay of the code, then a second login and
// an RFC 7009 revocation — and checks the audit log holds exactly the
// expected events with the right identifiers and no token or secret.
func TestAuditFlow(t *testing.T) {
	e := newLoginEnv(t, loginEnvOpts{single: true})
	e.register()
	ctx := context.Background()
	conf := e.oauthConfig(ScopeRead)

	b := e.newBrowser()
	p, verifier := e.start(b, "corp", nil, ScopeRead)
	code := e.codeOf(b.consent(p, "approve"))
	tok, err := conf.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	rt1 := tok.RefreshToken
	refresh := func(rt string) (int, map[string]any) {
		resp, err := http.PostForm(e.base+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {e.client.ID}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	status, body := refresh(rt1)
	rt2 := str(body, "refresh_token")
	if status != http.StatusOK || rt2 == "" {
		t.Fatalf("first refresh: %d %v", status, body)
	}
	if status, body = refresh(rt2); status != http.StatusOK {
		t.Fatalf("second refresh: %d %v", status, body)
	}
	rt3, at3 := str(body, "refresh_token"), str(body, "access_token")
	// rt1 was rotated and its replacement rt2 too: not a grace-window
	// replay but reuse (RFC 6819 §5.2.2.3).
	if status, body = refresh(rt1); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("reused refresh token: %d %v, want 400 invalid_grant", status, body)
	}
	if st := e.postForm("/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
		"client_id": {e.client.ID}, "redirect_uri": {loginClientRedirect}}); st != http.StatusBadRequest {
		t.Fatalf("replayed code: %d, want 400", st)
	}

	// A second login (consent remembered: no consent event) and a revocation.
	b2 := e.newBrowser()
	p2, verifier2 := e.start(b2, "corp", nil, ScopeRead)
	tok2, err := conf.Exchange(ctx, e.codeOf(p2), oauth2.VerifierOption(verifier2))
	if err != nil {
		t.Fatalf("second Exchange: %v", err)
	}
	if st := e.postForm("/revoke", url.Values{"token": {tok2.RefreshToken}, "client_id": {e.client.ID}}); st != http.StatusOK {
		t.Fatalf("revoke: %d", st)
	}
	// Revoking an unknown token is answered 200 and not recorded.
	if st := e.postForm("/revoke", url.Values{"token": {"not-a-token"}, "client_id": {e.client.ID}}); st != http.StatusOK {
		t.Fatalf("revoke unknown: %d", st)
	}

	evs := e.auditEvents()
	checkSequence(t, evs, []wantEvent{
		{store.AuditClientRegistered, store.OutcomeSuccess},
		{store.AuditLogin, store.OutcomeSuccess},
		{store.AuditConsent, store.OutcomeSuccess},
		{store.AuditTokenIssued, store.OutcomeSuccess},
		{store.AuditTokenRefreshed, store.OutcomeSuccess},
		{store.AuditTokenRefreshed, store.OutcomeSuccess},
		{store.AuditRefreshReuse, store.OutcomeDenied},
		{store.AuditCodeReplay, store.OutcomeDenied},
		{store.AuditLogin, store.OutcomeSuccess},
		{store.AuditTokenIssued, store.OutcomeSuccess},
		{store.AuditTokenRevoked, store.OutcomeSuccess},
	})
	const sub = "corp|u-alice"
	grant1 := evs[3].GrantID
	if grant1 == "" || evs[10].GrantID == "" || evs[10].GrantID == grant1 {
		t.Errorf("grant ids: first %q, revoked %q", grant1, evs[10].GrantID)
	}
	for i, ev := range evs {
		if ev.ClientID != e.client.ID {
			t.Errorf("event %d (%s): client_id %q, want %q", i, ev.Type, ev.ClientID, e.client.ID)
		}
		if ev.IP != "127.0.0.1" {
			t.Errorf("event %d (%s): ip %q", i, ev.Type, ev.IP)
		}
		if ev.Seq == 0 || ev.At.IsZero() || time.Since(ev.At) > time.Minute {
			t.Errorf("event %d (%s): seq %d at %v", i, ev.Type, ev.Seq, ev.At)
		}
		if i > 0 && ev.Subject != sub {
			t.Errorf("event %d (%s): subject %q, want %q", i, ev.Type, ev.Subject, sub)
		}
		if i >= 3 && i <= 7 && ev.GrantID != grant1 {
			t.Errorf("event %d (%s): grant %q, want %q", i, ev.Type, ev.GrantID, grant1)
		}
		raw, _ := json.Marshal(ev)
		for _, secret := range []string{code, verifier, rt1, rt2, rt3, at3, tok.AccessToken, tok2.RefreshToken, upstreamSecret} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("event %d (%s) contains a token or secret: %s", i, ev.Type, raw)
			}
		}
	}
	if evs[1].IdP != "corp" || evs[3].IdP != "corp" {
		t.Errorf("idp of login/token events: %q, %q", evs[1].IdP, evs[3].IdP)
	}
	if !strings.Contains(evs[6].Reason, "revoked") || !strings.Contains(evs[7].Reason, "revoked") {
		t.Errorf("reuse/replay reasons: %q, %q", evs[6].Reason, evs[7].Reason)
	}
	// Reuse detection really revoked the grant.
	if status, _ := refresh(rt3); status != http.StatusBadRequest {
		t.Errorf("rt3 after reuse detection: %d, want 400", status)
	}
}

// TestAuditRefusals: a login refused by an access rule names the rule, and
// a denied consent is recorded as denied; nothing is issued.
func TestAuditRefusals(t *testing.T) {
	t.Run("policy", func(t *testing.T) {
		e := newLoginEnv(t, loginEnvOpts{single: true, policy: idp.Policy{AllowedSubjects: []string{"u-bob"}}})
		b := e.newBrowser()
		p, _ := e.start(b, "corp", nil, ScopeRead)
		if p.resp.StatusCode != http.StatusForbidden {
			t.Fatalf("refused login: %d", p.resp.StatusCode)
		}
		evs := e.auditEvents()
		checkSequence(t, evs, []wantEvent{{store.AuditLogin, store.OutcomeDenied}})
		if ev := evs[0]; ev.IdP != "corp" || ev.ClientID != e.client.ID || !strings.Contains(ev.Reason, "allowed_subjects") {
			t.Errorf("refusal event %+v: want idp corp, the client and the rule allowed_subjects", ev)
		}
	})
	t.Run("consent denied", func(t *testing.T) {
		e := newLoginEnv(t, loginEnvOpts{single: true})
		b := e.newBrowser()
		p, _ := e.start(b, "corp", nil, ScopeRead)
		b.consent(p, "deny")
		evs := e.auditEvents()
		checkSequence(t, evs, []wantEvent{{store.AuditLogin, store.OutcomeSuccess}, {store.AuditConsent, store.OutcomeDenied}})
		if evs[1].Subject != "corp|u-alice" || evs[1].ClientID != e.client.ID {
			t.Errorf("consent event %+v", evs[1])
		}
	})
}

// TestAuditLog checks the default Auditor writes each event both as a
// structured log record and to the store.
func TestAuditLog(t *testing.T) {
	st := openTestStore(t)
	var buf bytes.Buffer
	l := NewAuditLog(st, slogJSON(&buf))
	l.Audit(context.Background(), store.AuditEvent{Type: store.AuditRefreshReuse, Outcome: store.OutcomeDenied, ClientID: "c1", Subject: "corp|alice", GrantID: "g1"})
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("log record %q: %v", buf.String(), err)
	}
	for k, want := range map[string]any{"msg": "audit", "level": "WARN", "event": store.AuditRefreshReuse, "outcome": "denied",
		"client_id": "c1", "subject": "corp|alice", "grant_id": "g1"} {
		if rec[k] != want {
			t.Errorf("log %s = %v, want %v", k, rec[k], want)
		}
	}
	if _, ok := rec["idp"]; ok {
		t.Error("empty fields are logged")
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs, err := st.ListAudit(context.Background(), store.AuditFilter{})
	if err != nil || len(evs) != 1 || evs[0].GrantID != "g1" {
		t.Fatalf("stored: %v, %v", evs, err)
	}
}

func slogJSON(w *bytes.Buffer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }

// TestAuditRegistration: RFC 7591 registration and RFC 7592 update and
// delete are recorded with the client id and IP, a refused metadata
// document with its URL and the reason; failed management requests are
// not.
func TestAuditRegistration(t *testing.T) {
	e := newEnv(t, nil)
	m := e.register(`{"redirect_uris":["https://app.example.com/cb"],"client_name":"Before"}`)
	id, rat := str(m, "client_id"), str(m, "registration_access_token")
	if status, body, _ := e.do(http.MethodPut, "/register/"+id, `{"client_id":"`+id+`","redirect_uris":["https://app.example.com/cb2"]}`, rat); status != http.StatusOK {
		t.Fatalf("update: %d %v", status, body)
	}
	if status, _, _ := e.do(http.MethodDelete, "/register/"+id, "", "wrong"); status != http.StatusUnauthorized {
		t.Fatalf("delete with a wrong token: %d", status)
	}
	if status, _, _ := e.do(http.MethodDelete, "/register/"+id, "", rat); status != http.StatusNoContent {
		t.Fatalf("delete: %d", status)
	}

	h := newCIMDHost(t)
	h.serve("/mismatch.json", "", goodDoc(h.url("/other.json")))
	ce := newCIMDEnv(t, h, true)
	docURL := h.url("/mismatch.json")
	if resp, _ := ce.authorizeRaw(ce.cimdConfig(docURL, "https://app.example.com/cb"), oauth2.GenerateVerifier()); resp.StatusCode < 400 {
		t.Fatalf("authorize with a mismatched document: %d", resp.StatusCode)
	}

	e.flushAudit()
	evs, err := e.st.ListAudit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	checkSequence(t, evs, []wantEvent{
		{store.AuditClientRegistered, store.OutcomeSuccess},
		{store.AuditClientUpdated, store.OutcomeSuccess},
		{store.AuditClientDeleted, store.OutcomeSuccess},
	})
	for _, ev := range evs {
		if ev.ClientID != id || ev.IP != "127.0.0.1" {
			t.Errorf("%s: client %q ip %q", ev.Type, ev.ClientID, ev.IP)
		}
	}
	ce.flushAudit()
	cevs, err := ce.st.ListAudit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	checkSequence(t, cevs, []wantEvent{{store.AuditClientCIMDFailed, store.OutcomeFailure}})
	if cevs[0].ClientID != docURL || !strings.Contains(cevs[0].Reason, "is not the document URL") {
		t.Errorf("CIMD failure event %+v", cevs[0])
	}
}

// TestAuditRefreshPolicy: a refresh refused by the refresh policy (the
// user's access changed since login) is recorded as denied, with the
// reason, and the grant is gone.
func TestAuditRefreshPolicy(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.RefreshPolicy = func(context.Context, *store.Session) error {
			return errors.New(`allowed_email_domains: "example.org" is no longer allowed`)
		}
	})
	code, verifier := e.authorize(e.conf)
	status, body := e.exchange(e.conf, code, verifier, nil)
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %v", status, body)
	}
	if status, body := e.refresh(e.conf, str(body, "refresh_token"), nil); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("refresh refused by policy: %d %v", status, body)
	}
	e.flushAudit()
	evs, err := e.st.ListAudit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	checkSequence(t, evs, []wantEvent{{store.AuditTokenIssued, store.OutcomeSuccess}, {store.AuditTokenRefreshed, store.OutcomeDenied}})
	ev := evs[1]
	if ev.GrantID != evs[0].GrantID || ev.Subject != testUser || ev.ClientID != e.conf.ID || !strings.Contains(ev.Reason, "allowed_email_domains") {
		t.Errorf("policy refusal event %+v", ev)
	}
	if _, err := e.st.GetGrant(context.Background(), ev.GrantID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("grant after the refusal: %v", err)
	}
}

// flushAudit waits for the server's batched audit writes.
func (e *env) flushAudit() {
	e.t.Helper()
	if err := e.srv.FlushAudit(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// TestAuditLogBatches: events audited concurrently are all stored, each
// goroutine's in its order, and Close stores what is still queued; an
// event audited after Close is still stored.
func TestAuditLogBatches(t *testing.T) {
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/as.db", sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	l := NewAuditLog(st, nil)
	const writers, each = 8, 300
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				l.Audit(context.Background(), store.AuditEvent{Type: store.AuditTokenIssued, Outcome: store.OutcomeSuccess,
					ClientID: fmt.Sprintf("w%d", w), GrantID: fmt.Sprintf("%04d", i)})
			}
		}()
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l.Audit(context.Background(), store.AuditEvent{Type: store.AuditTokenRevoked, Outcome: store.OutcomeSuccess, ClientID: "after-close"})
	evs, err := st.ListAudit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != writers*each+1 {
		t.Fatalf("stored %d events, want %d", len(evs), writers*each+1)
	}
	last := map[string]string{}
	for _, ev := range evs[:len(evs)-1] {
		if prev, ok := last[ev.ClientID]; ok && ev.GrantID <= prev {
			t.Fatalf("writer %s: event %s stored after %s", ev.ClientID, ev.GrantID, prev)
		}
		last[ev.ClientID] = ev.GrantID
	}
	if evs[len(evs)-1].ClientID != "after-close" {
		t.Errorf("last event %+v", evs[len(evs)-1])
	}
}

// gatedAuditStore holds the append of the event whose ClientID is "gate"
// until gate is closed, so the events audited meanwhile queue up and are
// written as one batch.
type gatedAuditStore struct {
	*sqlite.Store
	gate chan struct{}
}

func (g *gatedAuditStore) AppendAudit(ctx context.Context, e *store.AuditEvent) (int64, error) {
	if e.ClientID == "gate" {
		<-g.gate
	}
	return g.Store.AppendAudit(ctx, e)
}

// TestAuditLogBadEventInBatch: an event the store refuses loses only
// itself, not the other events of its batch.
func TestAuditLogBadEventInBatch(t *testing.T) {
	st := openTestStore(t)
	g := &gatedAuditStore{Store: st, gate: make(chan struct{})}
	l := NewAuditLog(g, nil)
	ctx := context.Background()
	l.Audit(ctx, store.AuditEvent{Type: store.AuditTokenIssued, Outcome: store.OutcomeSuccess, ClientID: "gate"})
	l.Audit(ctx, store.AuditEvent{Type: store.AuditTokenIssued, Outcome: store.OutcomeSuccess, ClientID: "good1"})
	l.Audit(ctx, store.AuditEvent{Outcome: store.OutcomeSuccess, ClientID: "bad"}) // no type: refused
	l.Audit(ctx, store.AuditEvent{Type: store.AuditTokenIssued, Outcome: store.OutcomeSuccess, ClientID: "good2"})
	close(g.gate)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	evs, err := st.ListAudit(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.ClientID)
	}
	if strings.Join(got, ",") != "gate,good1,good2" {
		t.Errorf("stored %v, want gate, good1, good2", got)
	}
}

// keylessStore fails to list the signing keys, so New fails after its
// defaults are set.
type keylessStore struct{ *sqlite.Store }

func (keylessStore) ListSigningKeys(context.Context) ([]*store.SigningKey, error) {
	return nil, errors.New("disk on fire")
}

// TestNewFailureLeavesNoAuditWriter: a New that fails starts no audit
// writer goroutine (nobody could Close it).
func TestNewFailureLeavesNoAuditWriter(t *testing.T) {
	st := openTestStore(t)
	cfg := Config{PublicURL: "http://localhost:1", LoopbackBind: true, Store: keylessStore{st}, Authenticator: approveAll}
	before := runtime.NumGoroutine()
	const n = 50
	for range n {
		if _, err := New(context.Background(), cfg); err == nil {
			t.Fatal("New succeeded without signing keys")
		}
	}
	if grown := runtime.NumGoroutine() - before; grown >= n {
		t.Errorf("%d goroutines more after %d failed News", grown, n)
	}
}

// statusCountingStore counts RefreshTokenStatus reads.
type statusCountingStore struct {
	*sqlite.Store
	reads atomic.Int64
}

func (s *statusCountingStore) RefreshTokenStatus(ctx context.Context, sig string) (*store.RefreshTokenStatus, error) {
	s.reads.Add(1)
	return s.Store.RefreshTokenStatus(ctx, sig)
}

// TestAuditRefreshReadsOnce: with a RefreshPolicy the refresh token is
// read once per refresh (by the policy check); the audit takes its grant
// from that read, for a rotation and for a reuse detection alike.
func TestAuditRefreshReadsOnce(t *testing.T) {
	var counting *statusCountingStore
	e := newEnv(t, func(c *Config) {
		counting = &statusCountingStore{Store: c.Store.(*sqlite.Store)}
		c.Store = counting
		c.RefreshPolicy = func(context.Context, *store.Session) error { return nil }
	})
	code, verifier := e.authorize(e.conf)
	status, body := e.exchange(e.conf, code, verifier, nil)
	if status != http.StatusOK {
		t.Fatalf("exchange: %d %v", status, body)
	}
	rt := str(body, "refresh_token")
	if status, body := e.refresh(e.conf, rt, nil); status != http.StatusOK {
		t.Fatalf("refresh: %d %v", status, body)
	}
	if n := counting.reads.Load(); n != 0 {
		t.Errorf("a refresh read the token's status %d times besides the policy check", n)
	}
	e.clock.Advance(time.Minute) // past the grace window: reuse detection
	if status, body := e.refresh(e.conf, rt, nil); status != http.StatusBadRequest {
		t.Fatalf("reuse: %d %v", status, body)
	}
	e.flushAudit()
	evs, err := e.st.ListAudit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	checkSequence(t, evs, []wantEvent{{store.AuditTokenIssued, store.OutcomeSuccess}, {store.AuditTokenRefreshed, store.OutcomeSuccess},
		{store.AuditRefreshReuse, store.OutcomeDenied}})
	if ev := evs[2]; ev.GrantID != evs[0].GrantID || ev.ClientID != e.conf.ID || ev.Subject != testUser {
		t.Errorf("reuse event %+v", ev)
	}
}

// openTestStore opens a fresh sqlite store in t.TempDir(), closed when the
// test ends (synchronous=NORMAL: these tests are not about durability).
func openTestStore(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/as.db", sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}
