// Package web holds the HTML pages of the authorization server's browser
// steps (the IdP chooser, the consent page and the error page) and their
// style sheet, embedded in the binary.
//
// Pages are html/template files parsed once by New, so every value a page
// shows (client names, redirect URIs, user names, IdP error texts) is
// escaped by the template engine. They work without JavaScript and
// reference only the same-origin style sheet at StaticPrefix+"style.css",
// so the Content-Security-Policy set by SetSecurityHeaders can forbid
// inline script and style.
package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
)

//go:embed templates/*.html static/*
var files embed.FS

// StaticPrefix is the path the static files are served under (Static).
const StaticPrefix = "/static/"

// CSP is the Content-Security-Policy of every page: same-origin style
// sheets and scripts only (no inline ones), no framing, no plugins, no
// <base>. form-action is deliberately absent: browsers apply it to the
// redirects that follow a form POST, and the consent form's answer
// redirects to the client's own redirect URI (any origin or scheme).
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'"

// Page names for Render.
const (
	PageChooser = "chooser"
	PageConsent = "consent"
	PageError   = "error"
)

// Pages holds the parsed templates. It is immutable after New and safe
// for concurrent use.
type Pages struct {
	t map[string]*template.Template
}

// New parses the embedded templates once.
func New() (*Pages, error) {
	p := &Pages{t: make(map[string]*template.Template)}
	for _, name := range []string{PageChooser, PageConsent, PageError} {
		t, err := template.New(name).ParseFS(files, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", name, err)
		}
		p.t[name] = t
	}
	return p, nil
}

// SetSecurityHeaders sets the headers every HTML response carries: the
// CSP, X-Frame-Options DENY, Cache-Control no-store, nosniff and
// Referrer-Policy no-referrer (the pages' URLs carry pending-request ids).
func SetSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
}

// Render executes page name with data into a buffer and writes it with
// the given status and the security headers. A template error (a bug)
// becomes a plain 500 without a half-written page; it is returned too.
func (p *Pages) Render(w http.ResponseWriter, status int, name string, data any) error {
	h := w.Header()
	SetSecurityHeaders(h)
	t, ok := p.t[name]
	if !ok {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return fmt.Errorf("web: unknown page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// Static serves the embedded static files; mount it at StaticPrefix
// (it strips the prefix itself). Directory listings are refused.
func Static() http.Handler {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embedded tree always has static/
	}
	fsrv := http.StripPrefix(StaticPrefix, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == StaticPrefix || r.URL.Path[len(r.URL.Path)-1] == '/' {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Cache-Control", "public, max-age=3600")
		h.Set("X-Content-Type-Options", "nosniff")
		fsrv.ServeHTTP(w, r)
	})
}
