// Package oauthtest holds test support for driving the authorization
// server's browser pages (IdP sign-in, consent) over real HTTP.
package oauthtest

import (
	"bytes"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Browser plays a user's browser: an http.Client with a cookie jar that
// stops at each redirect, so a test sees every hop of a sign-in.
type Browser struct {
	t testing.TB
	c *http.Client
}

// NewBrowser returns a Browser with an empty cookie jar.
func NewBrowser(t testing.TB) *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{t: t, c: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Do sends req and returns the response with its body read; a transport
// error fails the test.
func (b *Browser) Do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp, buf.String()
}

// Follow GETs u and follows redirects while stop(next) is false (at most
// 10); it returns the last response, its body and the URL it stopped at.
func (b *Browser) Follow(u string, stop func(*url.URL) bool) (*http.Response, string, *url.URL) {
	b.t.Helper()
	cur, err := url.Parse(u)
	if err != nil {
		b.t.Fatal(err)
	}
	for range 10 {
		req, _ := http.NewRequest(http.MethodGet, cur.String(), nil)
		resp, body := b.Do(req)
		if resp.StatusCode < 300 || resp.StatusCode >= 400 {
			return resp, body, cur
		}
		next, err := cur.Parse(resp.Header.Get("Location"))
		if err != nil {
			b.t.Fatal(err)
		}
		if stop(next) {
			return resp, body, next
		}
		cur = next
	}
	b.t.Fatal("too many redirects")
	return nil, "", nil
}

// Post submits form to u without following a redirect.
func (b *Browser) Post(u string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.Do(req)
}
