package oauthserver

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"reflect"

	"github.com/zscalermcp/zscaler-mcp/idp"
)

// maxLocalFormPeek bounds the body read to find the state of a local form
// POST when two provider objects share its path (see localHandlerFor).
const maxLocalFormPeek = 64 << 10

// serveLocal serves the pages of providers that have their own
// (idp.LocalHandler: the dev IdP's sign-in form), looked up at request
// time in the current provider set.
func (a *LoginAuthenticator) serveLocal(w http.ResponseWriter, r *http.Request) {
	h, removed := a.localHandlerFor(w, r)
	switch {
	case h != nil:
		h.Handler().ServeHTTP(w, r)
	case removed != nil:
		a.removedPage(w, r, removed)
	default:
		a.errorPage(w, http.StatusNotFound, errorData{Title: "Unknown sign-in method",
			Message: "This server has no identity provider by that name."})
	}
}

// localHandlerFor finds the provider serving r.URL.Path: the current set's.
// A login that started before a reload replaced that provider keeps the
// object it started with, found by the login's upstream state (the query's,
// or the form's on a POST). When no current provider serves the path but a
// login in flight started at one that did, that provider was removed by a
// reload and is returned as removed.
func (a *LoginAuthenticator) localHandlerFor(w http.ResponseWriter, r *http.Request) (h idp.LocalHandler, removed idp.Provider) {
	var cur idp.LocalHandler
	for _, p := range a.Providers().List() {
		if lh, ok := p.(idp.LocalHandler); ok && lh.Path() == r.URL.Path {
			cur = lh
			break
		}
	}
	var older []idp.Provider // objects of logins in flight, other than cur
	a.mu.Lock()
	for _, l := range a.logins {
		if lh, ok := l.prov.(idp.LocalHandler); ok && lh.Path() == r.URL.Path && !sameObject(lh, cur) {
			older = append(older, l.prov)
		}
	}
	a.mu.Unlock()
	switch {
	case cur == nil && len(older) > 0:
		return nil, older[0]
	case len(older) == 0:
		return cur, nil
	}
	state := localState(w, r)
	if state == "" {
		return cur, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if l := a.logins[a.byState[state]]; l != nil {
		if lh, ok := l.prov.(idp.LocalHandler); ok && lh.Path() == r.URL.Path {
			return lh, nil
		}
	}
	return cur, nil
}

// localState returns the upstream state a local page request carries: the
// query's, else (POST) the form's. The body is read (bounded) and put back
// for the provider's handler.
func localState(w http.ResponseWriter, r *http.Request) string {
	if s := r.URL.Query().Get("state"); s != "" || r.Method != http.MethodPost {
		return s
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxLocalFormPeek))
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return ""
	}
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return q.Get("state")
}

// sameObject reports whether a and b are the same provider object. It
// never panics: values of a type that cannot be compared count as
// different (the caller then treats the provider as changed, which only
// adds a check).
func sameObject(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	return va.Type() == vb.Type() && va.Comparable() && vb.Comparable() && va.Equal(vb)
}
