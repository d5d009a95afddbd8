package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"time"

	"github.com/ory/fosite"
)

// sensitiveForm lists request parameters never persisted with a request,
// whatever fosite's sanitation whitelist lets through.
var sensitiveForm = [...]string{"client_secret", "client_assertion", "code", "code_verifier", "refresh_token", "password"}

// storedRequest is the JSON form of a fosite.Requester.
type storedRequest struct {
	ID                string          `json:"id"`
	RequestedAt       time.Time       `json:"requested_at"`
	ClientID          string          `json:"client_id"`
	RequestedScope    []string        `json:"requested_scope,omitempty"`
	GrantedScope      []string        `json:"granted_scope,omitempty"`
	RequestedAudience []string        `json:"requested_audience,omitempty"`
	GrantedAudience   []string        `json:"granted_audience,omitempty"`
	Form              url.Values      `json:"form,omitempty"`
	Session           json.RawMessage `json:"session,omitempty"`
}

// MarshalRequest serializes a fosite.Requester for storage: its id, request
// time, client id, requested and granted scopes and audiences, form (minus
// secrets such as client_secret and code_verifier) and session (JSON of the
// session value). The client itself is not stored; UnmarshalRequest takes
// it from the caller, who loads it by id.
func MarshalRequest(req fosite.Requester) ([]byte, error) {
	if req == nil {
		return nil, errors.New("store: marshal request: nil requester")
	}
	if req.GetClient() == nil {
		return nil, errors.New("store: marshal request: requester has no client")
	}
	sr := storedRequest{
		ID:                req.GetID(),
		RequestedAt:       req.GetRequestedAt().UTC(),
		ClientID:          req.GetClient().GetID(),
		RequestedScope:    req.GetRequestedScopes(),
		GrantedScope:      req.GetGrantedScopes(),
		RequestedAudience: req.GetRequestedAudience(),
		GrantedAudience:   req.GetGrantedAudience(),
	}
	if form := req.GetRequestForm(); len(form) > 0 {
		sr.Form = make(url.Values, len(form))
		for k, v := range form {
			sr.Form[k] = v
		}
		for _, k := range sensitiveForm {
			delete(sr.Form, k)
		}
	}
	if sess := req.GetSession(); sess != nil && !isNilPointer(sess) {
		b, err := json.Marshal(sess)
		if err != nil {
			return nil, fmt.Errorf("store: marshal session %T: %w", sess, err)
		}
		sr.Session = b
	}
	b, err := json.Marshal(&sr)
	if err != nil {
		return nil, fmt.Errorf("store: marshal request: %w", err)
	}
	return b, nil
}

// UnmarshalRequest rebuilds a request stored by MarshalRequest. The session
// is decoded into a new value of template's dynamic type (a *Session when
// template is nil); template itself is not modified. client must be the
// client the request was stored for.
func UnmarshalRequest(data []byte, client fosite.Client, template fosite.Session) (*fosite.Request, error) {
	var sr storedRequest
	if err := json.Unmarshal(data, &sr); err != nil {
		return nil, fmt.Errorf("store: unmarshal request: %w", err)
	}
	if client == nil || client.GetID() != sr.ClientID {
		return nil, fmt.Errorf("store: unmarshal request %s: stored for client %q", sr.ID, sr.ClientID)
	}
	sess := NewSessionLike(template)
	if len(sr.Session) > 0 && string(sr.Session) != "null" {
		if err := json.Unmarshal(sr.Session, sess); err != nil {
			return nil, fmt.Errorf("store: unmarshal session of request %s into %T: %w", sr.ID, sess, err)
		}
	}
	form := sr.Form
	if form == nil {
		form = url.Values{}
	}
	return &fosite.Request{
		ID:                sr.ID,
		RequestedAt:       sr.RequestedAt,
		Client:            client,
		RequestedScope:    orEmpty(sr.RequestedScope),
		GrantedScope:      orEmpty(sr.GrantedScope),
		RequestedAudience: orEmpty(sr.RequestedAudience),
		GrantedAudience:   orEmpty(sr.GrantedAudience),
		Form:              form,
		Session:           sess,
	}, nil
}

// NewSessionLike returns a new, zero session of template's dynamic type, or
// a new *Session when template is nil or its type cannot be instantiated.
func NewSessionLike(template fosite.Session) fosite.Session {
	if template == nil {
		return new(Session)
	}
	t := reflect.TypeOf(template)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if s, ok := reflect.New(t).Interface().(fosite.Session); ok {
		return s
	}
	return new(Session)
}

func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

func orEmpty(s []string) fosite.Arguments {
	if s == nil {
		return fosite.Arguments{}
	}
	return fosite.Arguments(s)
}
