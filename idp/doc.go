// Package idp holds the upstream identity providers our OAuth authorization
// server federates login to.
//
// The shape follows dex's connectors: one small interface ([Provider]), a
// typed [Config] decoded from the `idps:` block of the config file and
// checked with [Config.Validate] before anything starts, a type→factory
// [Registry] whose [Registry.Open] builds a provider from its config, and
// optional capability interfaces ([LocalHandler], [Refresher]) that a kind
// implements only when it needs them.
//
// # The login flow, and who owns what
//
// The authorization server (AS) owns the browser side: it generates a
// [LoginRequest] per login (see [NewLoginRequest]), stores it server-side
// keyed by its State and binds it to the browser with a `__Host-` cookie,
// then redirects the browser to [Provider.LoginURL]. When the upstream IdP
// sends the browser back to `<public-url>/auth/callback`, the AS looks the
// stored login up by the callback's `state` (single use, cookie-bound) and
// hands the request and the stored values ([LoginState]) to
// [Provider.HandleCallback], which completes the upstream login and returns
// the user's [Identity] (or a typed error: [*CallbackError] when the IdP
// said no, [*PolicyError] when the IdP's access policy refused the user,
// or an error wrapping [ErrInvalidCallback], [ErrExchange],
// [ErrInvalidIDToken] or [ErrUnavailable]).
//
// # Kinds
//
//   - "oidc": any OpenID Connect provider, by discovery (go-oidc) and the
//     authorization-code flow with PKCE S256, state and nonce (x/oauth2); the
//     ID token is verified (signature, iss, aud = client id, exp, nonce, azp)
//     and its claims mapped through [ClaimMapping].
//   - "dev": a local sign-in form for trying the whole flow without an
//     external IdP. Anyone who reaches it signs in as anyone: it is refused
//     unless the server is bound to loopback ([Options.LoopbackBind]).
//
// Presets (entra, auth0, okta, google, keycloak, cognito, pingone), one
// file each, are kinds over the generic oidc provider: each decodes its own
// keys from [Config.Extra], derives the issuer (from a tenant, realm,
// region and pool, environment id, ...), fills or overrides the generic
// fields (scopes, extra_auth_params, claim_mapping, auth_style) and passes
// quirks to the oidc provider: a discovery check that explains a
// preset-specific misconfiguration, an issuer check of its own when the
// discovery document's issuer is templated (Entra multi-tenant), and an
// identity hook that fills or refuses the mapped [Identity] from the
// verified claims (Entra's tid/oid subject and verified-domain signal,
// Google's hd). [Config.Validate] and [NewRegistry] know every preset.
package idp
