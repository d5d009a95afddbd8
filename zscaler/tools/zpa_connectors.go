package tools

import (
	"context"
	"strconv"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// Server groups follow zscaler-sdk-go zscaler/zpa/services/servergroup/
// (/serverGroup); app connectors zscaler/zpa/services/appconnectorcontroller/
// zpa_app_connector_controller.go (/connector); connector groups
// zscaler/zpa/services/appconnectorgroup/zpa_app_connector_group.go
// (/appConnectorGroup); provisioning keys
// zscaler/zpa/services/provisioningkey/ (/associationType/{type}/provisioningKey).

func zpaServerGroupSpecs() []Spec {
	return []Spec{
		zpaSpec(Spec{
			Name: "zpa_list_server_groups", Title: "List ZPA server groups", Toolset: zpaToolsetApps, Kind: Read,
			Description: "Lists ZPA server groups (which app connector groups serve which application segments, with dynamic discovery or explicit servers). Follows every page.",
			Params:      zpaListParams(),
		}, zpaListRun("serverGroup")),
		zpaSpec(Spec{
			Name: "zpa_get_server_group", Title: "Get a ZPA server group", Toolset: zpaToolsetApps, Kind: Read,
			Description: "Returns one ZPA server group by id with its app connector groups, servers and applications.",
			Params:      []mcp.ToolOption{zpaIDParam("id", "server group")},
		}, zpaGetRun("serverGroup")),
		zpaSpec(Spec{
			Name: "zpa_create_server_group", Title: "Create a ZPA server group", Toolset: zpaToolsetApps, Kind: Write,
			Description: "Creates a ZPA server group bound to app connector groups. With dynamic discovery (the default) the connectors find the servers from the application segments' domains. Returns the created group with its id.",
			Params: []mcp.ToolOption{
				mcp.WithString("name", mcp.Required(), mcp.MinLength(1), mcp.MaxLength(255), mcp.Description("Name of the server group.")),
				mcp.WithArray("app_connector_group_ids", mcp.Required(), mcp.MinItems(1), mcp.WithStringItems(mcp.Pattern(zpaIDPattern)),
					mcp.Description("Ids of the app connector groups (zpa_list_app_connector_groups) that serve this group, as strings.")),
				mcp.WithString("description", mcp.MaxLength(1024), mcp.Description("Free-text description.")),
				mcp.WithBoolean("enabled", mcp.DefaultBool(true), mcp.Description("Whether the group is enabled (default true).")),
				mcp.WithBoolean("dynamic_discovery", mcp.DefaultBool(true), mcp.Description("Let connectors discover servers from the segments' domains (default true).")),
			},
		}, zpaCreateRun("serverGroup", func(a zpaArgs) (map[string]any, error) {
			return map[string]any{
				"name": a.str("name"), "description": a.str("description"), "enabled": a.boolOr("enabled", true),
				"dynamicDiscovery": a.boolOr("dynamic_discovery", true), "appConnectorGroups": zpaRefs(a.strs("app_connector_group_ids")),
			}, nil
		})),
		zpaSpec(Spec{
			Name: "zpa_delete_server_group", Title: "Delete a ZPA server group", Toolset: zpaToolsetApps, Kind: Delete,
			Description: "Deletes a ZPA server group. Application segments that use only this group can no longer be reached.",
			Params:      []mcp.ToolOption{zpaIDParam("id", "server group")},
		}, zpaDeleteRun("serverGroup")),
	}
}

var zpaWeekdays = []string{"SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"}

func zpaConnectorSpecs() []Spec {
	return []Spec{
		zpaSpec(Spec{
			Name: "zpa_list_app_connectors", Title: "List ZPA app connectors", Toolset: zpaToolsetConnectors, Kind: Read,
			Description: "Lists ZPA app connectors with their group, control channel status (ZPN_STATUS_AUTHENTICATED when connected), version, upgrade status and IPs. Follows every page.",
			Params:      zpaListParams(),
		}, zpaListRun("connector")),
		zpaSpec(Spec{
			Name: "zpa_get_app_connector", Title: "Get a ZPA app connector", Toolset: zpaToolsetConnectors, Kind: Read,
			Description: "Returns one ZPA app connector by id: status, versions, platform, private and public IP, group and provisioning key name.",
			Params:      []mcp.ToolOption{zpaIDParam("id", "app connector")},
		}, zpaGetRun("connector")),
		zpaSpec(Spec{
			Name: "zpa_list_app_connector_groups", Title: "List ZPA app connector groups", Toolset: zpaToolsetConnectors, Kind: Read,
			Description: "Lists ZPA app connector groups with location, upgrade window, version profile and DNS query type. Follows every page.",
			Params:      zpaListParams(),
		}, zpaListRun("appConnectorGroup")),
		zpaSpec(Spec{
			Name: "zpa_get_app_connector_group", Title: "Get a ZPA app connector group", Toolset: zpaToolsetConnectors, Kind: Read,
			Description: "Returns one ZPA app connector group by id with its connectors and server groups.",
			Params:      []mcp.ToolOption{zpaIDParam("id", "app connector group")},
		}, zpaGetRun("appConnectorGroup")),
		zpaSpec(Spec{
			Name: "zpa_create_app_connector_group", Title: "Create a ZPA app connector group", Toolset: zpaToolsetConnectors, Kind: Write,
			Description: "Creates a ZPA app connector group at a location; connectors join it with a provisioning key. Returns the created group with its id.",
			Params: []mcp.ToolOption{
				mcp.WithString("name", mcp.Required(), mcp.MinLength(1), mcp.MaxLength(255), mcp.Description("Name of the group.")),
				mcp.WithString("location", mcp.Required(), mcp.MinLength(1), mcp.Description("Where the connectors run, e.g. \"San Jose, CA, USA\".")),
				mcp.WithNumber("latitude", mcp.Required(), mcp.Min(-90), mcp.Max(90), mcp.Description("Latitude of the location in degrees (-90 to 90).")),
				mcp.WithNumber("longitude", mcp.Required(), mcp.Min(-180), mcp.Max(180), mcp.Description("Longitude of the location in degrees (-180 to 180).")),
				mcp.WithString("description", mcp.MaxLength(1024), mcp.Description("Free-text description.")),
				mcp.WithString("country_code", mcp.Pattern(`^[A-Z]{2}$`), mcp.Description("ISO 3166-1 alpha-2 country code, e.g. \"US\".")),
				mcp.WithString("city_country", mcp.Description("City and country, e.g. \"San Jose, US\".")),
				mcp.WithBoolean("enabled", mcp.DefaultBool(true), mcp.Description("Whether the group is enabled (default true).")),
				mcp.WithString("dns_query_type", mcp.Enum("IPV4_IPV6", "IPV4", "IPV6"), mcp.DefaultString("IPV4_IPV6"),
					mcp.Description("Which DNS records the connectors query (default IPV4_IPV6).")),
				mcp.WithString("upgrade_day", mcp.Enum(zpaWeekdays...), mcp.DefaultString("SUNDAY"), mcp.Description("Day of the weekly connector upgrade window (default SUNDAY).")),
				mcp.WithInteger("upgrade_time_in_secs", mcp.Min(0), mcp.Max(86399), mcp.Description("Start of the upgrade window in seconds after midnight UTC (default 66600 = 18:30).")),
			},
		}, zpaCreateRun("appConnectorGroup", zpaConnectorGroupBody)),
		zpaSpec(Spec{
			Name: "zpa_list_provisioning_keys", Title: "List ZPA provisioning keys", Toolset: zpaToolsetConnectors, Kind: Read,
			Description: "Lists ZPA provisioning keys for app connector groups or private service edge groups: name, group, usage count and maximum usage. The key values themselves are secrets and are left out.",
			Params: []mcp.ToolOption{
				mcp.WithString("association_type", mcp.Enum("CONNECTOR_GRP", "SERVICE_EDGE_GRP"), mcp.DefaultString("CONNECTOR_GRP"),
					mcp.Description("Keys of app connector groups (CONNECTOR_GRP, default) or private service edge groups (SERVICE_EDGE_GRP).")),
				zpaMaxItemsParam(),
			},
		}, zpaListProvisioningKeys),
	}
}

func zpaConnectorGroupBody(a zpaArgs) (map[string]any, error) {
	coord := func(name string) string {
		f, _ := argNum(a[name])
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return map[string]any{
		"name": a.str("name"), "description": a.str("description"), "enabled": a.boolOr("enabled", true),
		"location": a.str("location"), "latitude": coord("latitude"), "longitude": coord("longitude"),
		"countryCode": a.str("country_code"), "cityCountry": a.str("city_country"),
		"dnsQueryType": a.strOr("dns_query_type", "IPV4_IPV6"), "upgradeDay": a.strOr("upgrade_day", "SUNDAY"),
		"upgradeTimeInSecs": strconv.Itoa(a.intOr("upgrade_time_in_secs", 66600)),
	}, nil
}

func zpaListProvisioningKeys(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
	path, err := zpaPath(c, "v1", "associationType", a.strOr("association_type", "CONNECTOR_GRP"), "provisioningKey")
	if err != nil {
		return nil, err
	}
	res, err := zpaList(ctx, c, path, nil, a.maxItems())
	if err != nil {
		return nil, err
	}
	for _, k := range res.Items {
		// The key enrols connectors into the tenant: never hand it to an agent.
		delete(k, "provisioningKey")
	}
	return res, nil
}
