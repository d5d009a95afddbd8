package zscalertest

// zpaAdminID is the admin id the stand-in writes into modifiedBy.
const zpaAdminID = "216196257331281921"

// seed fills the ZPA collections with a small tenant whose shapes follow
// the SDK models named in ServeZPA. Ids are strings, as in ZPA.
func (z *ZPA) seed() {
	z.AccessPolicySetID = "216196257331282092"
	z.ConnectorGroups = NewCollection("id", true,
		zpaConnectorGroup("216196257331291921", "US-East Connectors", "Ashburn, VA, US", "US", "39.0437", "-77.4875"),
		zpaConnectorGroup("216196257331291922", "EU-Central Connectors", "Frankfurt, HE, DE", "DE", "50.1109", "8.6821"),
		zpaConnectorGroup("216196257331291923", "APAC Connectors", "Singapore, SG", "SG", "1.3521", "103.8198"),
	)
	z.Connectors = NewCollection("id", true,
		zpaConnector("216196257331291931", "use1-ac-01", "216196257331291921", "US-East Connectors", "ZPN_STATUS_AUTHENTICATED", "10.10.1.11"),
		zpaConnector("216196257331291932", "use1-ac-02", "216196257331291921", "US-East Connectors", "ZPN_STATUS_AUTHENTICATED", "10.10.1.12"),
		zpaConnector("216196257331291933", "euc1-ac-01", "216196257331291922", "EU-Central Connectors", "ZPN_STATUS_AUTHENTICATED", "10.20.1.11"),
		zpaConnector("216196257331291934", "euc1-ac-02", "216196257331291922", "EU-Central Connectors", "ZPN_STATUS_DISCONNECTED", "10.20.1.12"),
		zpaConnector("216196257331291935", "apse1-ac-01", "216196257331291923", "APAC Connectors", "ZPN_STATUS_AUTHENTICATED", "10.30.1.11"),
	)
	z.ServerGroups = NewCollection("id", true,
		zpaServerGroup("216196257331291941", "US Datacenter Servers", "216196257331291921", "US-East Connectors"),
		zpaServerGroup("216196257331291942", "EU Datacenter Servers", "216196257331291922", "EU-Central Connectors"),
		zpaServerGroup("216196257331291943", "APAC Datacenter Servers", "216196257331291923", "APAC Connectors"),
	)
	z.SegmentGroups = NewCollection("id", true,
		zpaSegmentGroup("216196257331291951", "Corporate Apps", "Intranet and collaboration"),
		zpaSegmentGroup("216196257331291952", "Engineering", "Source control, CI and admin access"),
		zpaSegmentGroup("216196257331291953", "Finance", "ERP and payroll"),
	)
	z.Applications = NewCollection("id", true,
		zpaApp("216196257331291961", "Intranet Portal", "216196257331291951", "Corporate Apps", "216196257331291941", []string{"intranet.acme.internal"}, "443"),
		zpaApp("216196257331291962", "Jira", "216196257331291951", "Corporate Apps", "216196257331291941", []string{"jira.acme.internal"}, "443"),
		zpaApp("216196257331291963", "GitLab", "216196257331291952", "Engineering", "216196257331291941", []string{"gitlab.acme.internal"}, "443", "22"),
		zpaApp("216196257331291964", "SSH Bastions", "216196257331291952", "Engineering", "216196257331291942", []string{"*.bastion.acme.internal"}, "22"),
		zpaApp("216196257331291965", "RDP Jump Hosts", "216196257331291952", "Engineering", "216196257331291942", []string{"jump01.acme.internal", "jump02.acme.internal"}, "3389"),
		zpaApp("216196257331291966", "Finance ERP", "216196257331291953", "Finance", "216196257331291942", []string{"erp.acme.internal"}, "443", "8443"),
		zpaApp("216196257331291967", "APAC File Shares", "216196257331291951", "Corporate Apps", "216196257331291943", []string{"files.sg.acme.internal"}, "445"),
	)
	z.ProvisioningKeys = NewCollection("id", true,
		zpaProvisioningKey("21619", "US-East Connector Key", "CONNECTOR_GRP", "216196257331291921", "US-East Connectors", "10", "2"),
		zpaProvisioningKey("21620", "EU-Central Connector Key", "CONNECTOR_GRP", "216196257331291922", "EU-Central Connectors", "10", "2"),
		zpaProvisioningKey("21621", "APAC Connector Key", "CONNECTOR_GRP", "216196257331291923", "APAC Connectors", "5", "1"),
		zpaProvisioningKey("21622", "Private Service Edge Key", "SERVICE_EDGE_GRP", "216196257331291990", "Private Service Edges", "4", "0"),
	)
	z.AccessRules = NewCollection("id", true,
		zpaAccessRule(z.AccessPolicySetID, "216196257331292001", "1", "Engineering Access", "ALLOW", "216196257331291952", "Engineering"),
		zpaAccessRule(z.AccessPolicySetID, "216196257331292002", "2", "Finance Access", "ALLOW", "216196257331291953", "Finance"),
		zpaAccessRule(z.AccessPolicySetID, "216196257331292003", "3", "Corporate Apps for Everyone", "ALLOW", "216196257331291951", "Corporate Apps"),
		zpaAccessRule(z.AccessPolicySetID, "216196257331292004", "4", "Block Contractors from Finance", "DENY", "216196257331291953", "Finance"),
	)
}

func zpaConnectorGroup(id, name, city, country, lat, lon string) map[string]any {
	return map[string]any{
		"id": id, "name": name, "description": name + " in " + city, "enabled": true,
		"cityCountry": city, "countryCode": country, "location": city, "latitude": lat, "longitude": lon,
		"dnsQueryType": "IPV4_IPV6", "upgradeDay": "SUNDAY", "upgradeTimeInSecs": "66600",
		"overrideVersionProfile": false, "versionProfileId": "0", "versionProfileName": "Default",
		"praEnabled": false, "wafDisabled": true, "tcpQuickAckApp": false, "tcpQuickAckAssistant": false,
		"creationTime": "1700000000", "modifiedTime": "1710000000", "modifiedBy": zpaAdminID,
	}
}

func zpaConnector(id, name, groupID, groupName, status, ip string) map[string]any {
	return map[string]any{
		"id": id, "name": name, "enabled": true, "description": "",
		"appConnectorGroupId": groupID, "appConnectorGroupName": groupName,
		"controlChannelStatus": status, "currentVersion": "24.302.1", "expectedVersion": "24.302.1",
		"platform": "el9", "privateIp": ip, "publicIp": "203.0.113." + ip[len(ip)-2:],
		"upgradeStatus": "COMPLETE", "provisioningKeyId": "21619", "provisioningKeyName": "US-East Connector Key",
		"lastBrokerConnectTime": "1731900000000000", "creationTime": "1700000100", "modifiedBy": zpaAdminID,
	}
}

func zpaServerGroup(id, name, groupID, groupName string) map[string]any {
	return map[string]any{
		"id": id, "name": name, "description": "", "enabled": true, "dynamicDiscovery": true,
		"configSpace": "DEFAULT", "ipAnchored": false,
		"appConnectorGroups": []any{map[string]any{"id": groupID, "name": groupName, "enabled": true}},
		"servers":            []any{}, "applications": []any{},
		"creationTime": "1700000200", "modifiedTime": "1710000200", "modifiedBy": zpaAdminID,
	}
}

func zpaSegmentGroup(id, name, desc string) map[string]any {
	return map[string]any{
		"id": id, "name": name, "description": desc, "enabled": true, "configSpace": "DEFAULT",
		"policyMigrated": true, "tcpKeepAliveEnabled": "0", "applications": []any{},
		"creationTime": "1700000300", "modifiedTime": "1710000300", "modifiedBy": zpaAdminID,
	}
}

func zpaApp(id, name, sgID, sgName, serverGroupID string, domains []string, tcpPorts ...string) map[string]any {
	doms := make([]any, len(domains))
	for i, d := range domains {
		doms[i] = d
	}
	var flat, ranges []any
	for _, p := range tcpPorts {
		flat = append(flat, p, p)
		ranges = append(ranges, map[string]any{"from": p, "to": p})
	}
	return map[string]any{
		"id": id, "name": name, "description": "", "enabled": true, "domainNames": doms,
		"segmentGroupId": sgID, "segmentGroupName": sgName,
		"serverGroups":  []any{map[string]any{"id": serverGroupID}},
		"tcpPortRanges": flat, "tcpPortRange": ranges, "udpPortRanges": []any{},
		"bypassType": "NEVER", "healthReporting": "ON_ACCESS", "healthCheckType": "DEFAULT",
		"icmpAccessType": "NONE", "doubleEncrypt": false, "isCnameEnabled": true, "ipAnchored": false,
		"passiveHealthEnabled": true, "configSpace": "DEFAULT", "tcpKeepAlive": "0",
		"creationTime": "1700000400", "modifiedTime": "1710000400", "modifiedBy": zpaAdminID,
	}
}

func zpaProvisioningKey(id, name, assoc, componentID, componentName, maxUsage, usage string) map[string]any {
	return map[string]any{
		"id": id, "name": name, "associationType": assoc, "enabled": true,
		"maxUsage": maxUsage, "usageCount": usage, "zcomponentId": componentID, "zcomponentName": componentName,
		"enrollmentCertId": "6573", "enrollmentCertName": "Connector",
		"provisioningKey": "3|api.private.zscaler.com|" + randHex(24),
		"creationTime":    "1700000500", "modifiedBy": zpaAdminID,
	}
}

func zpaAccessRule(setID, id, order, name, action, segmentGroupID, segmentGroupName string) map[string]any {
	return map[string]any{
		"id": id, "name": name, "description": "", "action": action, "ruleOrder": order, "priority": order,
		"policySetId": setID, "policyType": "1", "operator": "AND", "disabled": "0",
		"customMsg": "", "bypassDefaultRule": false, "reauthDefaultRule": false, "lssDefaultRule": false,
		"conditions": []any{map[string]any{
			"operator": "OR", "negated": false,
			"operands": []any{map[string]any{
				"objectType": "APP_GROUP", "lhs": "id", "rhs": segmentGroupID, "name": segmentGroupName,
			}},
		}},
		"appServerGroups": []any{}, "appConnectorGroups": []any{},
		"creationTime": "1700000600", "modifiedTime": "1710000600", "modifiedBy": zpaAdminID,
	}
}
