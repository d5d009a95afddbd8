package tools

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// Application segments follow zscaler-sdk-go
// zscaler/zpa/services/applicationsegment/zpa_application_segment.go
// (GET/POST /application, GET/PUT/DELETE /application/{id}); segment groups
// zscaler/zpa/services/segmentgroup/segmentgroup.go (/segmentGroup).

const zpaPortPattern = `^[0-9]{1,5}(-[0-9]{1,5})?$`

func zpaAppSegmentSpecs() []Spec {
	return []Spec{
		zpaSpec(Spec{
			Name: "zpa_list_application_segments", Title: "List ZPA application segments", Toolset: zpaToolsetApps, Kind: Read,
			Description: "Lists ZPA application segments (the domains/IPs and ports users reach through ZPA) with their segment group, server groups, ports and settings. Follows every page.",
			Params:      zpaListParams(),
		}, zpaListRun("application")),
		zpaSpec(Spec{
			Name: "zpa_get_application_segment", Title: "Get a ZPA application segment", Toolset: zpaToolsetApps, Kind: Read,
			Description: "Returns one ZPA application segment by id: domains, TCP/UDP port ranges, segment group, server groups, bypass and health settings.",
			Params:      []mcp.ToolOption{zpaIDParam("id", "application segment")},
		}, zpaGetRun("application")),
		zpaSpec(Spec{
			Name: "zpa_create_application_segment", Title: "Create a ZPA application segment", Toolset: zpaToolsetApps, Kind: Write,
			Description: "Creates a ZPA application segment: the domains or IPs and ports users may reach, the segment group it belongs to and the server groups (connectors) that serve it. Give at least one of tcp_ports or udp_ports. Returns the created segment with its id.",
			Params: append([]mcp.ToolOption{
				mcp.WithString("name", mcp.Required(), mcp.MinLength(1), mcp.MaxLength(255), mcp.Description("Name of the segment, unique in the tenant.")),
				mcp.WithArray("domain_names", mcp.Required(), mcp.MinItems(1), mcp.WithStringItems(mcp.MinLength(1), mcp.MaxLength(255)),
					mcp.Description("FQDNs, wildcard domains (*.example.internal), IP addresses or CIDRs the segment covers.")),
				mcp.WithString("segment_group_id", mcp.Required(), mcp.Pattern(zpaIDPattern), mcp.Description("Id of the segment group (zpa_list_segment_groups), as a string.")),
				mcp.WithArray("server_group_ids", mcp.Required(), mcp.MinItems(1), mcp.WithStringItems(mcp.Pattern(zpaIDPattern)),
					mcp.Description("Ids of the server groups (zpa_list_server_groups) whose connectors reach the applications, as strings.")),
			}, zpaAppSegmentFieldParams()...),
		}, zpaCreateRun("application", zpaAppSegmentCreateBody)),
		zpaSpec(Spec{
			Name: "zpa_update_application_segment", Title: "Update a ZPA application segment", Toolset: zpaToolsetApps, Kind: Write, Idempotent: true,
			Description: "Changes the given fields of a ZPA application segment and keeps the others (reads the segment, applies the changes, writes it back). Lists given here replace the current ones. Returns the segment as stored.",
			Params: append([]mcp.ToolOption{
				zpaIDParam("id", "application segment"),
				mcp.WithString("name", mcp.MinLength(1), mcp.MaxLength(255), mcp.Description("New name.")),
				mcp.WithArray("domain_names", mcp.MinItems(1), mcp.WithStringItems(mcp.MinLength(1), mcp.MaxLength(255)), mcp.Description("New list of domains/IPs (replaces the current list).")),
				mcp.WithString("segment_group_id", mcp.Pattern(zpaIDPattern), mcp.Description("Id of the new segment group, as a string.")),
				mcp.WithArray("server_group_ids", mcp.MinItems(1), mcp.WithStringItems(mcp.Pattern(zpaIDPattern)), mcp.Description("New server group ids (replace the current ones).")),
			}, zpaAppSegmentFieldParams()...),
		}, zpaUpdateAppSegment),
		zpaSpec(Spec{
			Name: "zpa_delete_application_segment", Title: "Delete a ZPA application segment", Toolset: zpaToolsetApps, Kind: Delete,
			Description: "Deletes a ZPA application segment. Users lose access to its applications. With force_delete the API also removes it from the access policy rules that reference it.",
			Params: []mcp.ToolOption{
				zpaIDParam("id", "application segment"),
				mcp.WithBoolean("force_delete", mcp.DefaultBool(false), mcp.Description("Also remove the segment from policy rules that reference it (ZPA forceDelete). Default false.")),
			},
		}, zpaDeleteAppSegment),
	}
}

// zpaAppSegmentFieldParams are the optional segment settings shared by
// create and update.
func zpaAppSegmentFieldParams() []mcp.ToolOption {
	return []mcp.ToolOption{
		mcp.WithString("description", mcp.MaxLength(1024), mcp.Description("Free-text description.")),
		mcp.WithArray("tcp_ports", mcp.MinItems(1), mcp.WithStringItems(mcp.Pattern(zpaPortPattern)),
			mcp.Description(`TCP ports or ranges, e.g. ["443", "8000-8080"] (1-65535). On update, replaces the current TCP ports.`)),
		mcp.WithArray("udp_ports", mcp.MinItems(1), mcp.WithStringItems(mcp.Pattern(zpaPortPattern)),
			mcp.Description(`UDP ports or ranges, e.g. ["53", "5000-5010"] (1-65535). On update, replaces the current UDP ports.`)),
		mcp.WithBoolean("enabled", mcp.Description("Whether the segment is enabled (default true on create).")),
		mcp.WithString("bypass_type", mcp.Enum("NEVER", "ALWAYS", "ON_NET"),
			mcp.Description("When clients bypass ZPA for this segment: NEVER (default on create), ALWAYS, or ON_NET (on the corporate network).")),
		mcp.WithString("health_reporting", mcp.Enum("NONE", "ON_ACCESS", "CONTINUOUS"),
			mcp.Description("Health reporting of the applications: NONE, ON_ACCESS (default on create) or CONTINUOUS.")),
		mcp.WithBoolean("double_encrypt", mcp.Description("Encrypt traffic a second time end to end (default false on create).")),
	}
}

func zpaAppSegmentCreateBody(a zpaArgs) (map[string]any, error) {
	if !a.has("tcp_ports") && !a.has("udp_ports") {
		return nil, Argf("give at least one of tcp_ports or udp_ports")
	}
	body := map[string]any{
		"name": a.str("name"), "description": a.str("description"), "enabled": a.boolOr("enabled", true),
		"domainNames": a.strs("domain_names"), "segmentGroupId": a.str("segment_group_id"),
		"serverGroups": zpaRefs(a.strs("server_group_ids")),
		"bypassType":   a.strOr("bypass_type", "NEVER"), "healthReporting": a.strOr("health_reporting", "ON_ACCESS"),
		"doubleEncrypt": a.boolOr("double_encrypt", false),
		"tcpPortRanges": []string{}, "udpPortRanges": []string{},
	}
	if _, err := zpaApplySegmentFields(a, body); err != nil {
		return nil, err
	}
	return body, nil
}

// zpaApplySegmentFields copies the fields given in a into body (a segment
// as the API reads it) and says how many it set.
func zpaApplySegmentFields(a zpaArgs, body map[string]any) (int, error) {
	n := 0
	set := func(arg, field string, v any) {
		if a.has(arg) {
			body[field] = v
			n++
		}
	}
	set("name", "name", a.str("name"))
	set("description", "description", a.str("description"))
	set("domain_names", "domainNames", a.strs("domain_names"))
	set("segment_group_id", "segmentGroupId", a.str("segment_group_id"))
	set("server_group_ids", "serverGroups", zpaRefs(a.strs("server_group_ids")))
	set("enabled", "enabled", a.boolOr("enabled", true))
	set("bypass_type", "bypassType", a.str("bypass_type"))
	set("health_reporting", "healthReporting", a.str("health_reporting"))
	set("double_encrypt", "doubleEncrypt", a.boolOr("double_encrypt", false))
	for _, proto := range []string{"tcp", "udp"} {
		arg := proto + "_ports"
		if !a.has(arg) {
			continue
		}
		flat, ranges, err := zpaPortRanges(arg, a.strs(arg))
		if err != nil {
			return 0, err
		}
		// The API carries ports twice: a flat [from, to, from, to, ...]
		// list and a list of {from, to} objects; keep both in step.
		body[proto+"PortRanges"] = flat
		body[proto+"PortRange"] = ranges
		n++
	}
	return n, nil
}

// zpaPortRanges parses "443" and "8000-8080" into ZPA's two port forms.
func zpaPortRanges(arg string, ports []string) ([]string, []map[string]string, error) {
	flat := make([]string, 0, 2*len(ports))
	ranges := make([]map[string]string, 0, len(ports))
	for i, p := range ports {
		lo, hi, isRange := strings.Cut(p, "-")
		if !isRange {
			hi = lo
		}
		from, err1 := strconv.Atoi(lo)
		to, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || from < 1 || to > 65535 || from > to {
			return nil, nil, Argf("%s[%d] %q is not a port 1-65535 or a range low-high", arg, i, p)
		}
		flat = append(flat, strconv.Itoa(from), strconv.Itoa(to))
		ranges = append(ranges, map[string]string{"from": strconv.Itoa(from), "to": strconv.Itoa(to)})
	}
	return flat, ranges, nil
}

func zpaUpdateAppSegment(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
	id := a.str("id")
	cur, err := zpaGetObject(ctx, c, "application", id)
	if err != nil {
		return nil, err
	}
	n, err := zpaApplySegmentFields(a, cur)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, Argf("nothing to update: give at least one field besides id")
	}
	if err := zpaDo(ctx, c, http.MethodPut, nil, cur, nil, "application", id); err != nil {
		return nil, err
	}
	return zpaGetObject(ctx, c, "application", id)
}

func zpaDeleteAppSegment(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
	id := a.str("id")
	var q url.Values
	if a.boolOr("force_delete", false) {
		q = url.Values{"forceDelete": {"true"}}
	}
	if err := zpaDo(ctx, c, http.MethodDelete, q, nil, nil, "application", id); err != nil {
		return nil, err
	}
	return deletedResult{Deleted: true, ID: id}, nil
}

func zpaSegmentGroupSpecs() []Spec {
	return []Spec{
		zpaSpec(Spec{
			Name: "zpa_list_segment_groups", Title: "List ZPA segment groups", Toolset: zpaToolsetApps, Kind: Read,
			Description: "Lists ZPA segment groups (the groups of application segments that access policies refer to). Follows every page.",
			Params:      zpaListParams(),
		}, zpaListRun("segmentGroup")),
		zpaSpec(Spec{
			Name: "zpa_get_segment_group", Title: "Get a ZPA segment group", Toolset: zpaToolsetApps, Kind: Read,
			Description: "Returns one ZPA segment group by id, with the application segments in it.",
			Params:      []mcp.ToolOption{zpaIDParam("id", "segment group")},
		}, zpaGetRun("segmentGroup")),
		zpaSpec(Spec{
			Name: "zpa_create_segment_group", Title: "Create a ZPA segment group", Toolset: zpaToolsetApps, Kind: Write,
			Description: "Creates an empty ZPA segment group; add application segments to it with zpa_create_application_segment or zpa_update_application_segment. Returns the created group with its id.",
			Params: []mcp.ToolOption{
				mcp.WithString("name", mcp.Required(), mcp.MinLength(1), mcp.MaxLength(255), mcp.Description("Name of the group.")),
				mcp.WithString("description", mcp.MaxLength(1024), mcp.Description("Free-text description.")),
				mcp.WithBoolean("enabled", mcp.DefaultBool(true), mcp.Description("Whether the group is enabled (default true).")),
			},
		}, zpaCreateRun("segmentGroup", func(a zpaArgs) (map[string]any, error) {
			return map[string]any{"name": a.str("name"), "description": a.str("description"), "enabled": a.boolOr("enabled", true), "applications": []any{}}, nil
		})),
		zpaSpec(Spec{
			Name: "zpa_delete_segment_group", Title: "Delete a ZPA segment group", Toolset: zpaToolsetApps, Kind: Delete,
			Description: "Deletes a ZPA segment group. Access policy rules that refer to it stop matching its applications.",
			Params:      []mcp.ToolOption{zpaIDParam("id", "segment group")},
		}, zpaDeleteRun("segmentGroup")),
	}
}
