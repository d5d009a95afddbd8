package conformance

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/ory/fosite"

	"github.com/zscalermcp/zscaler-mcp/store"
)

// race runs fn(i) for i in [0, n) on n goroutines released at once and
// returns their errors.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var (
		start = make(chan struct{})
		wg    sync.WaitGroup
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// oneWinner checks that exactly one err is nil and every other one matches
// fosite.ErrSerializationFailure; it returns the winner's index.
func oneWinner(t *testing.T, what string, errs []error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("%s: goroutines %d and %d both succeeded", what, winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, fosite.ErrSerializationFailure):
			t.Errorf("%s: goroutine %d: err = %v, want ErrSerializationFailure", what, i, err)
		}
	}
	if winner < 0 {
		t.Errorf("%s: no goroutine succeeded", what)
	}
	return winner
}

// inTx runs fn in a transaction that is committed on success and rolled
// back otherwise, as fosite does.
func inTx(ctx context.Context, s store.Store, fn func(ctx context.Context) error) error {
	txCtx, err := s.BeginTX(ctx)
	if err != nil {
		return err
	}
	if err := fn(txCtx); err != nil {
		if rbErr := s.Rollback(txCtx); rbErr != nil {
			return errors.Join(err, rbErr)
		}
		return err
	}
	return s.Commit(txCtx)
}

// testConcurrentCodeRedemption: N goroutines invalidate one code; exactly
// one succeeds.
func testConcurrentCodeRedemption(t *testing.T, s store.Store) {
	const n = 32
	ctx := context.Background()
	client := newClient(t, s, "race-code-client", "secret")
	tests := []struct {
		name string
		tx   bool
	}{
		{"plain", false},
		{"in fosite-style transactions", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := newRequest(t, client, "nina")
			code := randID(t)
			mustOK(t, "create code", s.CreateAuthorizeCodeSession(ctx, code, req))
			errs := race(n, func(i int) error {
				if !tt.tx {
					return s.InvalidateAuthorizeCodeSession(ctx, code)
				}
				return inTx(ctx, s, func(ctx context.Context) error {
					if err := s.InvalidateAuthorizeCodeSession(ctx, code); err != nil {
						return err
					}
					return s.CreateAccessTokenSession(ctx, fmt.Sprintf("%s-at-%d", code, i), req)
				})
			})
			winner := oneWinner(t, "invalidate", errs)
			if _, err := s.GetAuthorizeCodeSession(ctx, code, &store.Session{}); !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) {
				t.Errorf("code after the race: %v, want invalidated", err)
			}
			if tt.tx {
				for i := range n {
					_, err := s.GetAccessTokenSession(ctx, fmt.Sprintf("%s-at-%d", code, i), &store.Session{})
					if i == winner && err != nil {
						t.Errorf("winner's access token: %v", err)
					} else if i != winner && !errors.Is(err, fosite.ErrNotFound) {
						t.Errorf("loser %d's access token: err = %v, want not found", i, err)
					}
				}
			}
		})
	}
}

// testConcurrentRefreshRotation: N goroutines run fosite's refresh
// transaction on one refresh token; exactly one succeeds, and only its new
// tokens exist.
func testConcurrentRefreshRotation(t *testing.T, s store.Store) {
	const n = 32
	ctx := context.Background()
	client := newClient(t, s, "race-rt-client", "secret")
	req := newRequest(t, client, "oscar")
	old := randID(t)
	mustOK(t, "create RT", s.CreateRefreshTokenSession(ctx, old, "at-old", req))

	errs := race(n, func(i int) error {
		// fosite reads the token before its transaction.
		if _, err := s.GetRefreshTokenSession(ctx, old, &store.Session{}); err != nil && !errors.Is(err, fosite.ErrInactiveToken) {
			return err
		}
		return inTx(ctx, s, func(ctx context.Context) error {
			if err := s.RotateRefreshToken(ctx, req.ID, old); err != nil {
				return err
			}
			at, rt := fmt.Sprintf("at-%d", i), fmt.Sprintf("rt-%d", i)
			if err := s.CreateAccessTokenSession(ctx, at, req); err != nil {
				return err
			}
			return s.CreateRefreshTokenSession(ctx, rt, at, req)
		})
	})
	winner := oneWinner(t, "rotate", errs)
	if winner < 0 {
		return
	}
	for i := range n {
		_, err := s.GetRefreshTokenSession(ctx, fmt.Sprintf("rt-%d", i), &store.Session{})
		if i == winner && err != nil {
			t.Errorf("winner's refresh token: %v", err)
		} else if i != winner && !errors.Is(err, fosite.ErrNotFound) {
			t.Errorf("loser %d's refresh token: err = %v, want not found", i, err)
		}
	}
	st, err := s.RefreshTokenStatus(ctx, old)
	mustOK(t, "RefreshTokenStatus", err)
	if st.Active || st.ReplacedBy != fmt.Sprintf("rt-%d", winner) {
		t.Errorf("old token status = %+v, want replaced by rt-%d", st, winner)
	}
}

// testConcurrentRegistrations: N concurrent client registrations all land.
func testConcurrentRegistrations(t *testing.T, s store.Store) {
	const n = 64
	ctx := context.Background()
	errs := race(n, func(i int) error {
		return s.CreateClient(ctx, &store.Client{
			ID:                      fmt.Sprintf("dcr-%02d", i),
			SecretHash:              store.HashSecret(fmt.Sprint("secret", i)),
			RedirectURIs:            []string{testRedirect},
			TokenEndpointAuthMethod: store.AuthMethodClientSecretBasic,
			Origin:                  store.OriginDCR,
		})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("registration %d: %v", i, err)
		}
	}
	list, err := s.ListClients(ctx)
	mustOK(t, "ListClients", err)
	if len(list) != n {
		t.Fatalf("ListClients = %d clients, want %d", len(list), n)
	}
	for i := range n {
		c, err := s.LookupClient(ctx, fmt.Sprintf("dcr-%02d", i))
		if err != nil {
			t.Errorf("client %d: %v", i, err)
			continue
		}
		if err := (store.SHA256Hasher{}).Compare(ctx, c.SecretHash, []byte(fmt.Sprint("secret", i))); err != nil {
			t.Errorf("client %d secret: %v", i, err)
		}
	}
}

// testConcurrentRevocationLog: while writers append, a poller that passes
// back lastSeq sees every entry exactly once, in order.
func testConcurrentRevocationLog(t *testing.T, s store.Store) {
	const writers, perWriter = 4, 50
	ctx := context.Background()

	done := make(chan struct{})
	var (
		seen    []store.Revocation
		pollErr error
		polled  = make(chan struct{})
	)
	go func() {
		defer close(polled)
		var last int64
		for {
			finished := false
			select {
			case <-done:
				finished = true
			default:
			}
			revs, l, err := s.RevocationsSince(ctx, last)
			if err != nil {
				pollErr = err
				return
			}
			seen = append(seen, revs...)
			last = l
			if finished {
				return
			}
		}
	}()
	errs := race(writers, func(w int) error {
		for i := range perWriter {
			if _, err := s.AppendRevocation(ctx, store.RevocationGrant, fmt.Sprintf("w%d-%d", w, i)); err != nil {
				return err
			}
		}
		return nil
	})
	close(done)
	<-polled
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if pollErr != nil {
		t.Fatalf("poller: %v", pollErr)
	}
	if len(seen) != writers*perWriter {
		t.Fatalf("poller saw %d entries, want %d", len(seen), writers*perWriter)
	}
	values := make(map[string]bool, len(seen))
	next := make(map[int]int) // per-writer order
	for i, r := range seen {
		if i > 0 && r.Seq <= seen[i-1].Seq {
			t.Fatalf("entry %d has seq %d after %d", i, r.Seq, seen[i-1].Seq)
		}
		if values[r.Value] {
			t.Fatalf("entry %s seen twice", r.Value)
		}
		values[r.Value] = true
		var w, k int
		if _, err := fmt.Sscanf(r.Value, "w%d-%d", &w, &k); err != nil {
			t.Fatalf("entry value %q: %v", r.Value, err)
		}
		if k != next[w] {
			t.Fatalf("writer %d's entry %d seen before its entry %d", w, k, next[w])
		}
		next[w]++
	}
}
