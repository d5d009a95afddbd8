package zscalertest

// The seeded ZIA tenant. Field names and shapes follow the zscaler-sdk-go v3
// models named next to each collection; values are invented.

// ziaFirstCustomVal is the val of the first custom URL category (ZIA numbers
// custom categories from 128; CUSTOM_01 has val 128).
const ziaFirstCustomVal = 128

func ziaRef(id int, name string) map[string]any { return map[string]any{"id": id, "name": name} }

func (z *ZIA) seed() {
	// zia/services/urlcategories: URLCategory.
	predefined := func(val int, id, super string) map[string]any {
		return map[string]any{
			"val": val, "id": id, "superCategory": super, "customCategory": false, "editable": true,
			"type": "URL_CATEGORY", "urls": []any{}, "keywords": []any{}, "dbCategorizedUrls": []any{},
			"description": id + "_DESC",
		}
	}
	custom := func(val int, id, name, super string, urls, keywords []any) map[string]any {
		o := map[string]any{
			"val": val, "id": id, "configuredName": name, "superCategory": super, "customCategory": true,
			"editable": true, "type": "URL_CATEGORY", "urls": urls, "keywords": keywords,
			"dbCategorizedUrls": []any{}, "ipRanges": []any{}, "description": "Managed by the security team",
		}
		ziaCountURLs(o)
		return o
	}
	z.URLCategories = NewCollection("val", false,
		predefined(1, "OTHER_ADULT_MATERIAL", "ADULT_MATERIAL"),
		predefined(5, "GAMBLING", "GAMBLING"),
		predefined(12, "NEWS_AND_MEDIA", "NEWS_AND_MEDIA"),
		predefined(20, "WEB_SEARCH", "INFORMATION_TECHNOLOGY"),
		predefined(31, "SOCIAL_NETWORKING", "INTERNET_COMMUNICATION"),
		predefined(44, "ONLINE_SHOPPING", "SHOPPING_AND_AUCTIONS"),
		custom(ziaFirstCustomVal, "CUSTOM_01", "Blocked Domains", "SECURITY",
			[]any{".badsite.example", "malware.example.net"}, []any{"phish"}),
		custom(ziaFirstCustomVal+1, "CUSTOM_02", "Partner Portals", "BUSINESS_AND_ECONOMY",
			[]any{"portal.partner.example", "extranet.supplier.example"}, []any{}),
	)

	// zia/services/urlfilteringpolicies: URLFilteringRule.
	z.URLFilteringRules = NewCollection("id", false,
		map[string]any{
			"id": 101, "name": "Block Gambling", "order": 1, "rank": 7, "state": "ENABLED", "action": "BLOCK",
			"protocols": []any{"ANY_RULE"}, "urlCategories": []any{"GAMBLING"}, "requestMethods": []any{"GET", "POST", "CONNECT"},
			"description": "No gambling at work", "groups": []any{ziaRef(11, "Employees")},
		},
		map[string]any{
			"id": 102, "name": "Caution Social", "order": 2, "rank": 7, "state": "ENABLED", "action": "CAUTION",
			"protocols": []any{"HTTP_RULE", "HTTPS_RULE"}, "urlCategories": []any{"SOCIAL_NETWORKING"},
			"departments": []any{ziaRef(21, "Engineering")},
		},
		map[string]any{
			"id": 103, "name": "Allow Partner Portals", "order": 3, "rank": 7, "state": "DISABLED", "action": "ALLOW",
			"protocols": []any{"ANY_RULE"}, "urlCategories": []any{"CUSTOM_02"},
		},
	)

	// zia/services/firewallpolicies/filteringrules: FirewallFilteringRules.
	z.FirewallRules = NewCollection("id", false,
		map[string]any{
			"id": 201, "name": "Block Telnet", "order": 1, "rank": 7, "state": "ENABLED", "action": "BLOCK_DROP",
			"nwServices": []any{ziaRef(774, "TELNET")}, "enableFullLogging": true, "description": "Legacy clear-text protocol",
		},
		map[string]any{
			"id": 202, "name": "Allow DNS to Corporate Resolvers", "order": 2, "rank": 7, "state": "ENABLED", "action": "ALLOW",
			"nwServices": []any{ziaRef(775, "DNS")}, "destIpGroups": []any{ziaRef(301, "Corporate DNS")},
		},
		map[string]any{
			"id": 203, "name": "Default Firewall Filtering Rule", "order": 127, "rank": 7, "state": "ENABLED",
			"action": "ALLOW", "defaultRule": true, "predefined": true,
		},
	)

	// zia/services/location/locationmanagement: Locations.
	z.Locations = NewCollection("id", false,
		map[string]any{
			"id": 401, "name": "San Jose HQ", "country": "UNITED_STATES", "tz": "UNITED_STATES_AMERICA_LOS_ANGELES",
			"ipAddresses": []any{"203.0.113.10"}, "authRequired": true, "xffForwardEnabled": false, "ofwEnabled": true,
			"profile": "CORPORATE", "upBandwidth": 100000, "dnBandwidth": 200000,
		},
		map[string]any{
			"id": 402, "name": "London Office", "country": "UNITED_KINGDOM", "tz": "UNITED_KINGDOM_EUROPE_LONDON",
			"ipAddresses": []any{"198.51.100.20"}, "authRequired": true, "ofwEnabled": true, "profile": "CORPORATE",
		},
		map[string]any{
			"id": 403, "name": "Guest Wi-Fi San Jose", "country": "UNITED_STATES", "tz": "UNITED_STATES_AMERICA_LOS_ANGELES",
			"ipAddresses": []any{"203.0.113.11"}, "authRequired": false, "profile": "GUESTWIFI",
		},
	)

	// zia/services/usermanagement: Departments, Groups, Users.
	z.Departments = NewCollection("id", false,
		map[string]any{"id": 21, "name": "Engineering", "idpId": 0, "comments": "R&D"},
		map[string]any{"id": 22, "name": "Finance", "idpId": 0},
		map[string]any{"id": 23, "name": "Sales", "idpId": 0},
	)
	z.Groups = NewCollection("id", false,
		map[string]any{"id": 11, "name": "Employees", "idpId": 0, "comments": "All full-time staff"},
		map[string]any{"id": 12, "name": "Contractors", "idpId": 0},
		map[string]any{"id": 13, "name": "Admins", "idpId": 0},
	)
	user := func(id int, name, email string, dept map[string]any, groups ...any) map[string]any {
		return map[string]any{
			"id": id, "name": name, "email": email, "department": dept, "groups": groups,
			"adminUser": false, "type": "", "deleted": false, "comments": "",
		}
	}
	z.Users = NewCollection("id", false,
		user(501, "Alice Nguyen", "alice@acme.example", ziaRef(21, "Engineering"), ziaRef(11, "Employees"), ziaRef(13, "Admins")),
		user(502, "Bob Smith", "bob@acme.example", ziaRef(22, "Finance"), ziaRef(11, "Employees")),
		user(503, "Carol Diaz", "carol@acme.example", ziaRef(21, "Engineering"), ziaRef(12, "Contractors")),
		user(504, "Dan Okafor", "dan@acme.example", ziaRef(23, "Sales"), ziaRef(11, "Employees")),
	)

	// zia/services/rule_labels: RuleLabels.
	z.RuleLabels = NewCollection("id", false,
		map[string]any{"id": 601, "name": "PCI", "description": "Rules in PCI scope", "referencedRuleCount": 2},
		map[string]any{"id": 602, "name": "Temporary", "description": "Review monthly", "referencedRuleCount": 0},
	)

	// zia/services/firewallpolicies/ipdestinationgroups: IPDestinationGroups.
	z.IPDestinationGroups = NewCollection("id", false,
		map[string]any{"id": 301, "name": "Corporate DNS", "type": "DSTN_IP", "addresses": []any{"10.0.0.53", "10.0.1.53"}},
		map[string]any{"id": 302, "name": "SaaS Apps", "type": "DSTN_FQDN", "addresses": []any{"*.salesforce.com", "*.workday.com"}},
	)
}
