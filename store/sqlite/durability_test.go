package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ory/fosite"

	"github.com/zscalermcp/zscaler-mcp/store"
	"github.com/zscalermcp/zscaler-mcp/store/sqlite"
)

// Environment of the child process of TestKill9Durability.
const (
	envChild     = "STORE_CHILD"
	envChildPath = "STORE_CHILD_PATH"
	envChildSync = "STORE_CHILD_SYNC"
)

// durableSet is what one "unit" of writes puts in the store: a client, a
// consent, a signing key, and a refresh token rotated in a fosite-style
// transaction.
func writeUnit(ctx context.Context, s store.Store, i int) error {
	id := fmt.Sprintf("client-%04d", i)
	c := &store.Client{ID: id, SecretHash: store.HashSecret("secret-" + id), RedirectURIs: []string{"https://x.example/cb"},
		GrantTypes: []string{"authorization_code", "refresh_token"}, Scopes: []string{"zscaler.read"},
		TokenEndpointAuthMethod: store.AuthMethodClientSecretBasic, Origin: store.OriginDCR}
	if err := s.CreateClient(ctx, c); err != nil {
		return err
	}
	if err := s.PutConsent(ctx, &store.Consent{Subject: "user", ClientID: id, Scopes: []string{"zscaler.read"}}); err != nil {
		return err
	}
	if err := s.CreateSigningKey(ctx, &store.SigningKey{KID: fmt.Sprintf("kid-%04d", i), Alg: "ES256",
		PrivateKey: []byte("key-" + id), Active: true}); err != nil {
		return err
	}
	req := &fosite.Request{ID: fmt.Sprintf("grant-%04d", i), RequestedAt: time.Now(), Client: c,
		GrantedScope: fosite.Arguments{"zscaler.read"}, Session: &store.Session{Subject: "user", ClientID: id}}
	rt1, rt2 := fmt.Sprintf("rt1-%04d", i), fmt.Sprintf("rt2-%04d", i)
	if err := s.CreateRefreshTokenSession(ctx, rt1, "", req); err != nil {
		return err
	}
	txCtx, err := s.BeginTX(ctx)
	if err != nil {
		return err
	}
	if err := s.RotateRefreshToken(txCtx, req.ID, rt1); err != nil {
		s.Rollback(txCtx)
		return err
	}
	if err := s.CreateRefreshTokenSession(txCtx, rt2, "", req); err != nil {
		s.Rollback(txCtx)
		return err
	}
	return s.Commit(txCtx)
}

// checkUnit verifies what writeUnit(i) committed.
func checkUnit(ctx context.Context, s store.Store, i int) error {
	id := fmt.Sprintf("client-%04d", i)
	c, err := s.LookupClient(ctx, id)
	if err != nil {
		return fmt.Errorf("client %s: %w", id, err)
	}
	if err := (store.SHA256Hasher{}).Compare(ctx, c.SecretHash, []byte("secret-"+id)); err != nil {
		return fmt.Errorf("client %s secret: %w", id, err)
	}
	if _, err := s.GetConsent(ctx, "user", id); err != nil {
		return fmt.Errorf("consent %s: %w", id, err)
	}
	if _, err := s.GetRefreshTokenSession(ctx, fmt.Sprintf("rt2-%04d", i), &store.Session{}); err != nil {
		return fmt.Errorf("refresh token %d: %w", i, err)
	}
	if _, err := s.GetRefreshTokenSession(ctx, fmt.Sprintf("rt1-%04d", i), &store.Session{}); !errors.Is(err, fosite.ErrInactiveToken) {
		return fmt.Errorf("rotated refresh token %d: %v, want inactive", i, err)
	}
	return nil
}

func checkKeys(ctx context.Context, t *testing.T, s store.Store, n int) {
	t.Helper()
	keys, err := s.ListSigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, k := range keys {
		have[k.KID] = true
	}
	for i := range n {
		if !have[fmt.Sprintf("kid-%04d", i)] {
			t.Errorf("signing key %d lost", i)
		}
	}
}

func TestRestartKeepsEverything(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), sqlite.DefaultFileName)
	s, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	for i := range n {
		if err := writeUnit(ctx, s, i); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if _, err := s.AppendRevocation(ctx, store.RevocationSubject, "someone"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range n {
		if err := checkUnit(ctx, s, i); err != nil {
			t.Error(err)
		}
	}
	checkKeys(ctx, t, s, n)
	revs, _, err := s.RevocationsSince(ctx, 0)
	if err != nil || len(revs) != 1 || revs[0].Value != "someone" {
		t.Errorf("revocation log after restart: %+v, %v", revs, err)
	}
}

// TestKill9Durability runs a child process (this test binary) that writes
// units, reports each committed one on stdout and keeps writing until it is
// SIGKILLed. Everything reported must survive, and the file must pass
// SQLite's integrity check.
func TestKill9Durability(t *testing.T) {
	if os.Getenv(envChild) == "1" {
		runChild()
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	for _, syncMode := range []string{"FULL", "NORMAL"} {
		t.Run(syncMode, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), sqlite.DefaultFileName)
			cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Durability$", "-test.count=1")
			cmd.Env = append(os.Environ(), envChild+"=1", envChildPath+"="+path, envChildSync+"="+syncMode)
			cmd.Stderr = os.Stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Read "committed N" lines until at least `want` units are done,
			// then kill -9 while the child is still writing.
			const want = 25
			committed := -1
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if n, ok := strings.CutPrefix(sc.Text(), "committed "); ok {
					committed, _ = strconv.Atoi(n)
					if committed >= want {
						break
					}
				}
			}
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
			_ = cmd.Wait()
			if committed < want {
				t.Fatalf("child reported %d committed units before exiting (scan error: %v)", committed, sc.Err())
			}

			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			var integrity string
			if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
				t.Errorf("integrity_check = %q, %v", integrity, err)
			}
			db.Close()

			s, err := sqlite.Open(ctx, path, sqlite.Options{})
			if err != nil {
				t.Fatalf("reopen after kill -9: %v", err)
			}
			defer s.Close()
			for i := 0; i <= committed; i++ {
				if err := checkUnit(ctx, s, i); err != nil {
					t.Errorf("after kill -9: %v", err)
				}
			}
			checkKeys(ctx, t, s, committed+1)
		})
	}
}

// runChild is the child of TestKill9Durability: it writes units forever,
// printing "committed i" after each one returns.
func runChild() {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, os.Getenv(envChildPath), sqlite.Options{Synchronous: os.Getenv(envChildSync)})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	for i := 0; ; i++ {
		if err := writeUnit(ctx, s, i); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(2)
		}
		fmt.Printf("committed %d\n", i)
	}
}
