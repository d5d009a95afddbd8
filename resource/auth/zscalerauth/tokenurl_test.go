package zscalerauth

import (
	"strings"
	"testing"
)

func TestTokenURL(t *testing.T) {
	tests := []struct {
		name              string
		vanity, cloud, ov string
		want              string
		wantErr           string // substring of the error
	}{
		{name: "production, empty cloud", vanity: "acme",
			want: "https://acme.zslogin.net/oauth2/v1/token"},
		{name: "production named", vanity: "acme", cloud: "production",
			want: "https://acme.zslogin.net/oauth2/v1/token"},
		{name: "production upper case", vanity: "ACME", cloud: " PRODUCTION ",
			want: "https://acme.zslogin.net/oauth2/v1/token"},
		{name: "beta cloud", vanity: "acme", cloud: "beta",
			want: "https://acme.zsloginbeta.net/oauth2/v1/token"},
		{name: "other cloud upper case", vanity: "acme-corp", cloud: "ZSCALERTWO",
			want: "https://acme-corp.zsloginzscalertwo.net/oauth2/v1/token"},
		{name: "override wins", vanity: "acme", cloud: "beta", ov: "http://127.0.0.1:8080/token",
			want: "http://127.0.0.1:8080/token"},
		{name: "override without vanity", ov: "https://idp.internal.example/oauth2/v1/token",
			want: "https://idp.internal.example/oauth2/v1/token"},
		{name: "override trimmed", ov: "  https://idp.example/t  ", want: "https://idp.example/t"},
		{name: "missing vanity", wantErr: "ZSCALER_VANITY_DOMAIN"},
		{name: "blank vanity", vanity: "   ", wantErr: "ZSCALER_VANITY_DOMAIN"},
		{name: "full domain instead of label", vanity: "acme.zslogin.net", wantErr: "ZSCALER_VANITY_DOMAIN"},
		{name: "leading hyphen", vanity: "-acme", wantErr: "ZSCALER_VANITY_DOMAIN"},
		{name: "trailing hyphen", vanity: "acme-", wantErr: "ZSCALER_VANITY_DOMAIN"},
		{name: "slash injection", vanity: "evil.com/x?", wantErr: "ZSCALER_VANITY_DOMAIN"},
		{name: "at injection", vanity: "evil.com@acme", wantErr: "ZSCALER_VANITY_DOMAIN"},
		{name: "too long", vanity: strings.Repeat("a", 64), wantErr: "ZSCALER_VANITY_DOMAIN"},
		{name: "63 is fine", vanity: strings.Repeat("a", 63),
			want: "https://" + strings.Repeat("a", 63) + ".zslogin.net/oauth2/v1/token"},
		{name: "bad cloud", vanity: "acme", cloud: "beta.evil.com/", wantErr: "ZSCALER_CLOUD"},
		{name: "relative override", ov: "/oauth2/v1/token", wantErr: "ZSCALER_TOKEN_URL"},
		{name: "override without scheme", ov: "acme.zslogin.net/oauth2/v1/token", wantErr: "ZSCALER_TOKEN_URL"},
		{name: "ftp override", ov: "ftp://acme.zslogin.net/token", wantErr: "ZSCALER_TOKEN_URL"},
		{name: "override with credentials", ov: "https://u:p@acme.zslogin.net/token", wantErr: "ZSCALER_TOKEN_URL"},
		{name: "unparseable override", ov: "https://[::1/token", wantErr: "ZSCALER_TOKEN_URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := TokenURL(tc.vanity, tc.cloud, tc.ov)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("TokenURL = %q, %v; want error mentioning %q", got, err, tc.wantErr)
				}
				if strings.Contains(err.Error(), ":p@") {
					t.Errorf("error leaks URL credentials: %v", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("TokenURL = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
