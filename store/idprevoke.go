package store

import "context"

// SubjectPrefixRevoker revokes every grant of a group of users at once. The
// authorization server uses it when an upstream IdP is removed from the
// configuration: its users' subjects all start with "<idp id>|" (see
// idp.Identity.UserID), so revoking that prefix ends every grant they hold.
//
// It is a separate interface so that a backend can grow into it; store/sqlite
// implements it and the conformance suite checks it with
// conformance.RunSubjectPrefixRevoker.
type SubjectPrefixRevoker interface {
	// RevokeGrantsBySubjectPrefix revokes, exactly as RevokeGrant does (the
	// grant with its codes and tokens deleted, a RevocationGrant entry
	// appended to the revocation log), every grant whose subject starts with
	// prefix (byte for byte, case-sensitive), in one transaction. It returns
	// the revoked grant ids, sorted; none is not an error. An empty prefix is
	// an error (it would revoke everything).
	RevokeGrantsBySubjectPrefix(ctx context.Context, prefix string) ([]string, error)
}
