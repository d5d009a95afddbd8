package idp

import (
	"fmt"
	"strings"
)

// pingOneFields are the keys of a type pingone entry beside the generic ones.
type pingOneFields struct {
	// Region is the environment's region: com (North America), eu, ca,
	// asia, com.au (also na, ap, au).
	Region string `yaml:"region"`
	// EnvironmentID is the environment's id (a UUID); the issuer is
	// https://auth.pingone.<region>/<environment_id>/as.
	EnvironmentID string `yaml:"environment_id"`
}

// pingOneRegions maps a region name to the top-level domain of auth.pingone.*.
func pingOneTLD(region string) (string, bool) {
	switch strings.ToLower(region) {
	case "com", "na", "us":
		return "com", true
	case "eu":
		return "eu", true
	case "ca":
		return "ca", true
	case "asia", "ap", "apac":
		return "asia", true
	case "com.au", "au":
		return "com.au", true
	}
	return "", false
}

// resolvePingOne: the regional issuer, and exactly one client
// authentication method (basic unless auth_style says post): PingOne and
// PingFederate refuse a request that tries a second one, which is what
// auto-detection does after a failure.
func resolvePingOne(c Config, v *validator) (Config, oidcQuirks) {
	var f pingOneFields
	decodeFields(c, v, &f)
	eff := presetBase(c)
	switch {
	case (f.Region != "" || f.EnvironmentID != "") && c.Issuer != "":
		exclusiveIssuer(v, "region and environment_id")
	case c.Issuer != "":
	default:
		tld, ok := pingOneTLD(f.Region)
		if f.Region == "" {
			v.add("region", "required: com, eu, ca, asia or com.au (the domain of your auth.pingone.* console)")
		} else if !ok {
			v.add("region", "%q is not a PingOne region (com, eu, ca, asia, com.au)", f.Region)
		}
		switch {
		case f.EnvironmentID == "":
			v.add("environment_id", "required: the environment's id (Environment → Properties)")
			ok = false
		case !isGUID(f.EnvironmentID):
			v.add("environment_id", "%q is not an environment id (a UUID)", f.EnvironmentID)
			ok = false
		}
		if ok {
			eff.Issuer = fmt.Sprintf("https://auth.pingone.%s/%s/as", tld, strings.ToLower(f.EnvironmentID))
		}
	}
	if eff.AuthStyle == AuthStyleAuto {
		eff.AuthStyle = AuthStyleBasic
	}
	return eff, oidcQuirks{}
}
