package tools

import (
	"context"
	"net/url"
	"strconv"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/zscalermcp/zscaler-mcp/zscaler"
)

// ZDX toolsets.
const (
	zdxToolsetDevices = "zdx_devices"
	zdxToolsetApps    = "zdx_applications"
	zdxToolsetAlerts  = "zdx_alerts"
)

// zdxSpecs returns the zdx tools. Paths and models follow zscaler-sdk-go
// zscaler/zdx/services/reports/devices/devices.go (devices),
// reports/applications/applications.go and application_score_metrics.go
// (applications and scores) and alerts/alerts.go (alerts, one alert and
// its affected devices).
func zdxSpecs() []Spec {
	specs := []Spec{
		zpaSpec(Spec{
			Name: "zdx_list_devices", Title: "List ZDX devices", Toolset: zdxToolsetDevices, Kind: Read,
			Description: "Lists the devices ZDX monitored in a time range (default the last 2 hours) with their user id, name and email; filter by user emails. Follows next_offset through every batch.",
			Params: append(zdxRangeParams(),
				mcp.WithArray("emails", mcp.MinItems(1), mcp.WithStringItems(mcp.Pattern(`^[^@\s]+@[^@\s]+$`)),
					mcp.Description("Only devices of users with these email addresses.")),
				zpaMaxItemsParam()),
		}, zdxListDevices),
		zpaSpec(Spec{
			Name: "zdx_get_device", Title: "Get a ZDX device", Toolset: zdxToolsetDevices, Kind: Read,
			Description: "Returns one ZDX device by id: hardware (model, CPU, memory, disk), network interfaces (type, IPs, Wi-Fi, gateway, DNS) and software (OS, Client Connector and ZDX versions).",
			Params:      []mcp.ToolOption{zdxIDParam("id", "device", "zdx_list_devices")},
		}, func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
			return zdxGet(ctx, c, nil, "devices", zdxID(a))
		}),
		zpaSpec(Spec{
			Name: "zdx_list_application_scores", Title: "List ZDX application scores", Toolset: zdxToolsetApps, Kind: Read,
			Description: "Lists the applications ZDX monitors, each with its ZDX score (0-100, higher is better; below 34 is poor, 34-65 okay) over a time range (default the last 2 hours), most impacted region, users and devices counted poor/okay/good.",
			Params:      zdxRangeParams(),
		}, zdxListApps),
		zpaSpec(Spec{
			Name: "zdx_get_application", Title: "Get a ZDX application score", Toolset: zdxToolsetApps, Kind: Read,
			Description: "Returns one ZDX-monitored application by id with its score over a time range (default the last 2 hours), most impacted region and poor/okay/good user counts.",
			Params:      append([]mcp.ToolOption{zdxIDParam("id", "application", "zdx_list_application_scores")}, zdxRangeParams()...),
		}, func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
			q, err := zdxRangeQuery(a)
			if err != nil {
				return nil, err
			}
			return zdxGet(ctx, c, q, "apps", zdxID(a))
		}),
		zpaSpec(Spec{
			Name: "zdx_get_application_score_trend", Title: "Get a ZDX application score trend", Toolset: zdxToolsetApps, Kind: Read,
			Description: "Returns the ZDX score trend of one application over a time range (default the last 2 hours) as time-stamped datapoints, to see when an experience degraded.",
			Params:      append([]mcp.ToolOption{zdxIDParam("id", "application", "zdx_list_application_scores")}, zdxRangeParams()...),
		}, zdxScoreTrend),
		zpaSpec(Spec{
			Name: "zdx_list_alerts", Title: "List ZDX alerts", Toolset: zdxToolsetAlerts, Kind: Read,
			Description: "Lists ZDX alerts: ongoing ones, or historical (resolved) ones ended in a time range (default the last 2 hours, at most 14 days). Each has its rule, severity, application, device count and affected departments.",
			Params: append([]mcp.ToolOption{
				mcp.WithString("status", mcp.Enum("ongoing", "historical"), mcp.DefaultString("ongoing"),
					mcp.Description("ongoing (default) or historical (resolved) alerts.")),
			}, append(zdxRangeParams(), zpaMaxItemsParam())...),
		}, zdxListAlerts),
		zpaSpec(Spec{
			Name: "zdx_get_alert", Title: "Get a ZDX alert", Toolset: zdxToolsetAlerts, Kind: Read,
			Description: "Returns one ZDX alert by id: rule, severity, status, start and end (Unix seconds), application, and the departments, locations and geolocations it affects.",
			Params:      []mcp.ToolOption{zdxIDParam("id", "alert", "zdx_list_alerts")},
		}, func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
			return zdxGet(ctx, c, nil, "alerts", zdxID(a))
		}),
		zpaSpec(Spec{
			Name: "zdx_list_alert_affected_devices", Title: "List devices affected by a ZDX alert", Toolset: zdxToolsetAlerts, Kind: Read,
			Description: "Lists the devices (with user id, name and email) affected by one ZDX alert in a time range (default the last 2 hours). Follows next_offset through every batch.",
			Params:      append([]mcp.ToolOption{zdxIDParam("id", "alert", "zdx_list_alerts")}, append(zdxRangeParams(), zpaMaxItemsParam())...),
		}, func(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
			q, err := zdxRangeQuery(a)
			if err != nil {
				return nil, err
			}
			return zdxCollect(ctx, c, zdxPath("alerts", zdxID(a), "affected_devices"), q, "devices", a.maxItems())
		}),
	}
	for i := range specs {
		specs[i].Service = "zdx"
	}
	return specs
}

// zdxMaxRange is the longest time range ZDX alert queries accept
// (zscaler-sdk-go alerts.go: "Cannot exceed the 14-day time range").
const zdxMaxRange = 14 * 24 * 3600

func zdxRangeParams() []mcp.ToolOption {
	return []mcp.ToolOption{
		mcp.WithInteger("from", mcp.Min(0), mcp.Description("Start of the time range in Unix seconds (default: 2 hours before to).")),
		mcp.WithInteger("to", mcp.Min(0), mcp.Description("End of the time range in Unix seconds (default: now). Must be after from.")),
	}
}

func zdxIDParam(name, what, listTool string) mcp.ToolOption {
	return mcp.WithInteger(name, mcp.Required(), mcp.Min(1), mcp.Description("The ZDX "+what+" id (a number, from "+listTool+")."))
}

func zdxID(a zpaArgs) string { return strconv.Itoa(a.intOr("id", 0)) }

// zdxRangeQuery is the from/to query of a call.
func zdxRangeQuery(a zpaArgs) (url.Values, error) {
	q := url.Values{}
	if a.has("from") && a.has("to") && a.intOr("to", 0) <= a.intOr("from", 0) {
		return nil, Argf("to (%d) must be after from (%d)", a.intOr("to", 0), a.intOr("from", 0))
	}
	for _, k := range []string{"from", "to"} {
		if a.has(k) {
			q.Set(k, strconv.Itoa(a.intOr(k, 0)))
		}
	}
	return q, nil
}

func zdxGet(ctx context.Context, c *zscaler.Client, q url.Values, segments ...string) (map[string]any, error) {
	var out map[string]any
	err := c.Do(ctx, zscaler.Request{Service: "zdx", Path: zdxPath(segments...), Query: q}, &out)
	return out, err
}

func zdxPath(segments ...string) string {
	p := "/zdx/v1"
	for _, s := range segments {
		p += "/" + url.PathEscape(s)
	}
	return p
}

func zdxListDevices(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
	q, err := zdxRangeQuery(a)
	if err != nil {
		return nil, err
	}
	for _, e := range a.strs("emails") {
		q.Add("emails", e)
	}
	return zdxCollect(ctx, c, zdxPath("devices"), q, "devices", a.maxItems())
}

func zdxListApps(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
	q, err := zdxRangeQuery(a)
	if err != nil {
		return nil, err
	}
	var apps []map[string]any
	if err := c.Do(ctx, zscaler.Request{Service: "zdx", Path: zdxPath("apps"), Query: q}, &apps); err != nil {
		return nil, err
	}
	return listOf(apps, false), nil
}

func zdxScoreTrend(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
	q, err := zdxRangeQuery(a)
	if err != nil {
		return nil, err
	}
	// The SDK reads an array of metrics or, from some tenants, one metric.
	var raw any
	if err := c.Do(ctx, zscaler.Request{Service: "zdx", Path: zdxPath("apps", zdxID(a), "score"), Query: q}, &raw); err != nil {
		return nil, err
	}
	metrics, ok := raw.([]any)
	if !ok && raw != nil {
		metrics = []any{raw}
	}
	if metrics == nil {
		metrics = []any{}
	}
	return map[string]any{"app_id": a.intOr("id", 0), "metrics": metrics}, nil
}

func zdxListAlerts(ctx context.Context, c *zscaler.Client, a zpaArgs) (any, error) {
	q, err := zdxRangeQuery(a)
	if err != nil {
		return nil, err
	}
	if a.has("from") && a.has("to") && a.intOr("to", 0)-a.intOr("from", 0) > zdxMaxRange {
		return nil, Argf("the time range from..to must not exceed 14 days")
	}
	return zdxCollect(ctx, c, zdxPath("alerts", a.strOr("status", "ongoing")), q, "alerts", a.maxItems())
}
