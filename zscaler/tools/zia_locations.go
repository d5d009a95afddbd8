package tools

// Locations: zscaler-sdk-go zscaler/zia/services/location/locationmanagement/locationmanagement.go
// (GET /locations?search=&page=&pageSize=, GET /locations/{id}).

const ziaLocationsPath = ziaAPI + "/locations"

func ziaLocationSpecs() []Spec {
	const ts = "zia_locations"
	return []Spec{
		ziaPagedList("zia_list_locations", "List ZIA locations",
			"List ZIA locations (offices, data centers, guest networks forwarding traffic to Zscaler) with their egress IPs, country, time zone and authentication/firewall settings. Sub-locations are not included.",
			ts, ziaLocationsPath, "search", "Case-insensitive substring of the location name (searched by the API).", nil),
		ziaGetByID("zia_get_location", "Get a ZIA location",
			"Get one ZIA location by id with all its settings.", ts, ziaLocationsPath, "Location id (zia_list_locations)."),
	}
}
