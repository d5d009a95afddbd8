package idp

import (
	"errors"
	"regexp"
)

// cognitoFields are the keys of a type cognito entry beside the generic ones.
type cognitoFields struct {
	// Region is the user pool's AWS region, e.g. "eu-west-1".
	Region string `yaml:"region"`
	// UserPoolID is the pool's id, e.g. "eu-west-1_AbCdEf123"; the issuer is
	// https://cognito-idp.<region>.amazonaws.com/<user_pool_id>.
	UserPoolID string `yaml:"user_pool_id"`
}

var (
	awsRegionPattern  = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]$`)
	cognitoPoolFormat = regexp.MustCompile(`^([a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9])_[0-9A-Za-z]+$`)
)

// resolveCognito: the issuer is on cognito-idp.<region>.amazonaws.com while
// the hosted UI (authorize, token, userInfo) lives on the pool's own domain:
// both come from the discovery document, so only the issuer is derived.
// Groups default to "cognito:groups"; email_verified, which Cognito may
// send as the string "true", is read either way.
func resolveCognito(c Config, v *validator) (Config, oidcQuirks) {
	var f cognitoFields
	decodeFields(c, v, &f)
	eff := presetBase(c)
	switch {
	case (f.Region != "" || f.UserPoolID != "") && c.Issuer != "":
		exclusiveIssuer(v, "region and user_pool_id")
	case c.Issuer != "":
	default:
		ok := true
		if f.Region == "" {
			v.add("region", "required: the user pool's AWS region, e.g. eu-west-1")
			ok = false
		} else if !awsRegionPattern.MatchString(f.Region) {
			v.add("region", "%q is not an AWS region (e.g. eu-west-1)", f.Region)
			ok = false
		}
		m := cognitoPoolFormat.FindStringSubmatch(f.UserPoolID)
		switch {
		case f.UserPoolID == "":
			v.add("user_pool_id", "required: the user pool id, e.g. eu-west-1_AbCdEf123")
			ok = false
		case m == nil:
			v.add("user_pool_id", "%q is not a user pool id (<region>_<id>, e.g. eu-west-1_AbCdEf123)", f.UserPoolID)
			ok = false
		case ok && m[1] != f.Region:
			v.add("user_pool_id", "the pool %s is in region %s, not %s", f.UserPoolID, m[1], f.Region)
			ok = false
		}
		if ok {
			eff.Issuer = "https://cognito-idp." + f.Region + ".amazonaws.com/" + f.UserPoolID
		}
	}
	if eff.ClaimMapping.Groups == "" {
		eff.ClaimMapping.Groups = "cognito:groups"
	}
	return eff, oidcQuirks{checkDiscovery: checkCognitoDiscovery}
}

// checkCognitoDiscovery explains a pool without a hosted-UI domain, whose
// discovery document lacks the authorization endpoint.
func checkCognitoDiscovery(meta discoveryMeta) error {
	if meta.AuthURL == "" || meta.TokenURL == "" {
		return errors.New("no authorization_endpoint/token_endpoint: give the user pool a domain " +
			"(Amazon Cognito console → the user pool → App integration → Domain) and enable the hosted UI (managed login) for the app client")
	}
	return nil
}
