package idp

// Hand-written matchers for the fixed-shape identifiers that config
// validation checks. They replace regular expressions whose counted
// repetitions ({0,63}, {1,64}, {12}) compile, at package initialisation,
// into programs of ~150 KB each: memory every zscaler-mcp process held
// for its whole life, in every auth mode, for a check run once at start.
// charclass_test.go checks them against the original expressions.

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// validID reports whether s matches ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ (an
// IdP id: it appears in URLs and subjects).
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// validOktaAS reports whether s matches ^[A-Za-z0-9]{1,64}$ (an Okta
// custom authorization server id).
func validOktaAS(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) {
			return false
		}
	}
	return true
}

// isGUID reports whether s matches
// ^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i]) {
				return false
			}
		}
	}
	return true
}
