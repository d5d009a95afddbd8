package zscalertest

// seed fills the directory: 9 users, 4 groups (one dynamic) and their
// memberships, shaped like zscaler-sdk-go users.go Users and
// zscaler-sdk-python zscaler/zidentity/models/groups.py.
func (z *ZIdentity) seed() {
	idp := map[string]any{"id": "ihl9q1k3vbo8f", "name": "Okta", "displayName": "Okta (acme)"}
	dept := func(id, name string) map[string]any {
		return map[string]any{"id": id, "name": name, "displayName": name}
	}
	eng, fin, ops := dept("ia3b1ad9hg001", "Engineering"), dept("ia3b1ad9hg002", "Finance"), dept("ia3b1ad9hg003", "IT Operations")
	users := []struct {
		id, login, first, last string
		dept                   map[string]any
		active                 bool
	}{
		{"ihln05leh07e1", "jane.doe", "Jane", "Doe", eng, true},
		{"ihln05leh07e2", "john.smith", "John", "Smith", fin, true},
		{"ihln05leh07e3", "priya.patel", "Priya", "Patel", eng, true},
		{"ihln05leh07e4", "chen.wei", "Chen", "Wei", ops, true},
		{"ihln05leh07e5", "maria.garcia", "Maria", "Garcia", fin, true},
		{"ihln05leh07e6", "ahmed.khan", "Ahmed", "Khan", eng, true},
		{"ihln05leh07e7", "lena.muller", "Lena", "Muller", ops, true},
		{"ihln05leh07e8", "tom.brown", "Tom", "Brown", eng, false},
		{"ihln05leh07e9", "svc.backup", "Backup", "Service", ops, true},
	}
	z.users = map[string]map[string]any{}
	for _, u := range users {
		z.userIDs = append(z.userIDs, u.id)
		z.users[u.id] = map[string]any{
			"id": u.id, "source": "SCIM", "loginName": u.login + "@acme.com",
			"displayName": u.first + " " + u.last, "firstName": u.first, "lastName": u.last,
			"primaryEmail": u.login + "@acme.com", "status": u.active, "department": u.dept, "idp": idp,
			"customAttrsInfo": map[string]any{"costCenter": "CC-" + u.dept["name"].(string)[:3]},
		}
	}
	group := func(id, name, desc string, dynamic bool) map[string]any {
		return map[string]any{
			"id": id, "name": name, "description": desc, "source": "SCIM", "isDynamicGroup": dynamic,
			"adminEntitlementEnabled": false, "serviceEntitlementEnabled": true, "idp": idp,
		}
	}
	z.groups = map[string]map[string]any{}
	for _, g := range []map[string]any{
		group("ia3b1ad9hg66a", "Engineering", "All engineers", false),
		group("ia3b1ad9hg66b", "Finance", "Finance and accounting", false),
		group("ia3b1ad9hg66c", "IT Admins", "Zscaler administrators", false),
		group("ia3b1ad9hg66d", "Active Employees", "Dynamic: status is active", true),
	} {
		id := g["id"].(string)
		z.groupIDs = append(z.groupIDs, id)
		z.groups[id] = g
	}
	z.members = map[string][]string{
		"ia3b1ad9hg66a": {"ihln05leh07e1", "ihln05leh07e3", "ihln05leh07e6", "ihln05leh07e8"},
		"ia3b1ad9hg66b": {"ihln05leh07e2", "ihln05leh07e5"},
		"ia3b1ad9hg66c": {"ihln05leh07e4", "ihln05leh07e7", "ihln05leh07e1"},
		"ia3b1ad9hg66d": {"ihln05leh07e1", "ihln05leh07e2", "ihln05leh07e3", "ihln05leh07e4", "ihln05leh07e5", "ihln05leh07e6", "ihln05leh07e7", "ihln05leh07e9"},
	}
}
