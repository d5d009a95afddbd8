package zscalertest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// zpaBase is the ZPA management API prefix below the OneAPI base URL
// (zscaler-sdk-go zscaler/zpa/services/*: mgmtConfig =
// "/zpa/mgmtconfig/v1/admin/customers/").
const zpaBase = "/zpa/mgmtconfig/v1/admin/customers/{customerId}"

// ZPA is the in-memory state of the ZPA stand-in. The collections are
// exported so tests can seed, inspect and assert what the tools changed.
type ZPA struct {
	// Applications are application segments (/application).
	Applications *Collection
	// SegmentGroups are segment groups (/segmentGroup).
	SegmentGroups *Collection
	// ServerGroups are server groups (/serverGroup).
	ServerGroups *Collection
	// Connectors are app connectors (/connector).
	Connectors *Collection
	// ConnectorGroups are app connector groups (/appConnectorGroup).
	ConnectorGroups *Collection
	// ProvisioningKeys are provisioning keys
	// (/associationType/{type}/provisioningKey).
	ProvisioningKeys *Collection
	// AccessRules are the rules of the ACCESS_POLICY policy set.
	AccessRules *Collection
	// AccessPolicySetID is the id of the ACCESS_POLICY policy set.
	AccessPolicySetID string

	s     *Server
	pager zpaPager
}

// SetMaxPageSize makes list routes answer at most n items per page whatever
// pagesize the client asks for (n ≤ 0: only ZPA's own 500 limit), so a test
// can prove that a tool follows totalPages.
func (z *ZPA) SetMaxPageSize(n int) { z.pager.serverMax.Store(int64(n)) }

// ServeZPA registers the ZPA routes on s, seeded with a small realistic
// tenant, and returns their state. Unknown ids answer 404 with a ZPA error
// body ({"id": "resource.not.found", "reason": ...}); invalid bodies 400.
func ServeZPA(s *Server) *ZPA {
	z := &ZPA{s: s}
	z.seed()

	// zscaler-sdk-go zscaler/zpa/services/applicationsegment/zpa_application_segment.go:
	// GET/POST /application, GET/PUT/DELETE /application/{id} (DELETE with
	// forceDelete=true in the SDK), ApplicationSegmentResource model.
	z.crud("/application", z.Applications, "application segment", z.validateApplication)
	// zscaler-sdk-go zscaler/zpa/services/segmentgroup/segmentgroup.go:
	// GET/POST /segmentGroup, GET/PUT/DELETE /segmentGroup/{id}.
	z.crud("/segmentGroup", z.SegmentGroups, "segment group", zpaRequire("name"))
	// zscaler-sdk-go zscaler/zpa/services/servergroup/servergroup.go:
	// GET/POST /serverGroup, GET/PUT/DELETE /serverGroup/{id}.
	z.crud("/serverGroup", z.ServerGroups, "server group", z.validateServerGroup)
	// zscaler-sdk-go zscaler/zpa/services/appconnectorgroup/zpa_app_connector_group.go:
	// GET/POST /appConnectorGroup, GET/PUT/DELETE /appConnectorGroup/{id}.
	z.crud("/appConnectorGroup", z.ConnectorGroups, "app connector group", zpaRequire("name", "location", "latitude", "longitude"))
	// zscaler-sdk-go zscaler/zpa/services/appconnectorcontroller/zpa_app_connector_controller.go:
	// GET /connector, GET /connector/{id} (connectors enrol themselves;
	// the API does not create them).
	z.crud("/connector", z.Connectors, "app connector", nil)

	// zscaler-sdk-go zscaler/zpa/services/provisioningkey/provisioningkey.go
	// (and zscaler-sdk-python zscaler/zpa/provisioning.py):
	// GET /associationType/{CONNECTOR_GRP|SERVICE_EDGE_GRP}/provisioningKey.
	z.handle("GET "+zpaBase+"/associationType/{associationType}/provisioningKey", z.listProvisioningKeys)

	// zscaler-sdk-go zscaler/zpa/services/policysetcontroller/policysetcontroller.go:
	// GET /policySet/policyType/{policyType} (the set and its id),
	// GET /policySet/rules/policyType/{policyType} (paged rules),
	// GET /policySet/{policySetId}/rule/{ruleId}.
	z.handle("GET "+zpaBase+"/policySet/policyType/{policyType}", z.getPolicySet)
	z.handle("GET "+zpaBase+"/policySet/rules/policyType/{policyType}", z.listPolicyRules)
	z.handle("GET "+zpaBase+"/policySet/{policySetId}/rule/{ruleId}", z.getPolicyRule)
	return z
}

// handle registers h behind the customer check: a path naming another
// customer than the credential's is refused like ZPA does.
func (z *ZPA) handle(pattern string, h http.HandlerFunc) {
	z.s.Handle(pattern, func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("customerId") != z.s.CustomerID {
			zpaError(w, http.StatusUnauthorized, "api.customer.mismatch", "customer "+r.PathValue("customerId")+" is not the customer of this credential")
			return
		}
		h(w, r)
	})
}

// crud registers the list and get routes of a collection, plus create,
// update and delete when validate is not nil. Like ZPA, create answers the
// stored object, update and delete answer 204 without a body.
func (z *ZPA) crud(path string, c *Collection, what string, validate func(o map[string]any) string) {
	z.handle("GET "+zpaBase+path, func(w http.ResponseWriter, r *http.Request) {
		z.pager.write(w, r, c.List())
	})
	z.handle("GET "+zpaBase+path+"/{id}", func(w http.ResponseWriter, r *http.Request) {
		o, ok := c.Get(r.PathValue("id"))
		if !ok {
			zpaNotFound(w, what, r.PathValue("id"))
			return
		}
		WriteJSON(w, http.StatusOK, o)
	})
	if validate == nil {
		return
	}
	z.handle("POST "+zpaBase+path, func(w http.ResponseWriter, r *http.Request) {
		o, ok := zpaDecode(w, r, validate)
		if !ok {
			return
		}
		delete(o, "id")
		now := strconv.FormatInt(time.Now().Unix(), 10)
		o["creationTime"], o["modifiedTime"], o["modifiedBy"] = now, now, zpaAdminID
		WriteJSON(w, http.StatusCreated, c.Create(z.resolve(o)))
	})
	z.handle("PUT "+zpaBase+path+"/{id}", func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		old, ok := c.Get(id)
		if !ok {
			zpaNotFound(w, what, id)
			return
		}
		o, ok := zpaDecode(w, r, validate)
		if !ok {
			return
		}
		if bid, has := o["id"]; has && bid != id {
			zpaError(w, http.StatusBadRequest, "invalid.input.parameter", "id in the body does not match the path")
			return
		}
		o["creationTime"] = old["creationTime"]
		o["modifiedTime"], o["modifiedBy"] = strconv.FormatInt(time.Now().Unix(), 10), zpaAdminID
		c.Update(id, z.resolve(o))
		w.WriteHeader(http.StatusNoContent)
	})
	z.handle("DELETE "+zpaBase+path+"/{id}", func(w http.ResponseWriter, r *http.Request) {
		if !c.Delete(r.PathValue("id")) {
			zpaNotFound(w, what, r.PathValue("id"))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func zpaNotFound(w http.ResponseWriter, what, id string) {
	zpaError(w, http.StatusNotFound, "resource.not.found", what+" "+id+" does not exist")
}

// zpaDecode reads a JSON object body and validates it; on failure it
// answers 400 with a ZPA error body.
func zpaDecode(w http.ResponseWriter, r *http.Request, validate func(map[string]any) string) (map[string]any, bool) {
	var o map[string]any
	if err := json.NewDecoder(r.Body).Decode(&o); err != nil || o == nil {
		zpaError(w, http.StatusBadRequest, "invalid.input.body", "request body must be a JSON object")
		return nil, false
	}
	if reason := validate(o); reason != "" {
		zpaError(w, http.StatusBadRequest, "invalid.input.body", reason)
		return nil, false
	}
	return o, true
}

// zpaRequire returns a validator demanding non-empty string fields.
func zpaRequire(fields ...string) func(map[string]any) string {
	return func(o map[string]any) string {
		for _, f := range fields {
			if v, _ := o[f].(string); v == "" {
				return f + " is required"
			}
		}
		return ""
	}
}

func (z *ZPA) validateApplication(o map[string]any) string {
	if r := zpaRequire("name", "segmentGroupId")(o); r != "" {
		return r
	}
	if d, _ := o["domainNames"].([]any); len(d) == 0 {
		return "domainNames must list at least one domain"
	}
	if _, ok := z.SegmentGroups.Get(o["segmentGroupId"].(string)); !ok {
		return "segment group " + o["segmentGroupId"].(string) + " does not exist"
	}
	if r := zpaRefs(o, "serverGroups", z.ServerGroups, "server group"); r != "" {
		return r
	}
	ports := 0
	for _, f := range []string{"tcpPortRange", "udpPortRange", "tcpPortRanges", "udpPortRanges"} {
		l, _ := o[f].([]any)
		ports += len(l)
	}
	if ports == 0 {
		return "at least one TCP or UDP port range is required"
	}
	return ""
}

func (z *ZPA) validateServerGroup(o map[string]any) string {
	if r := zpaRequire("name")(o); r != "" {
		return r
	}
	return zpaRefs(o, "appConnectorGroups", z.ConnectorGroups, "app connector group")
}

// zpaRefs checks that every {"id": ...} of o[field] exists in c.
func zpaRefs(o map[string]any, field string, c *Collection, what string) string {
	refs, _ := o[field].([]any)
	for _, ref := range refs {
		m, _ := ref.(map[string]any)
		id, _ := m["id"].(string)
		if _, ok := c.Get(id); !ok {
			return what + " " + id + " in " + field + " does not exist"
		}
	}
	return ""
}

// resolve fills the names ZPA returns next to the ids a client sent.
func (z *ZPA) resolve(o map[string]any) map[string]any {
	if id, ok := o["segmentGroupId"].(string); ok {
		if g, ok := z.SegmentGroups.Get(id); ok {
			o["segmentGroupName"] = g["name"]
		}
	}
	for field, c := range map[string]*Collection{"serverGroups": z.ServerGroups, "appConnectorGroups": z.ConnectorGroups} {
		refs, _ := o[field].([]any)
		for i, ref := range refs {
			m, _ := ref.(map[string]any)
			id, _ := m["id"].(string)
			if full, ok := c.Get(id); ok {
				refs[i] = map[string]any{"id": id, "name": full["name"], "enabled": full["enabled"]}
			}
		}
	}
	return o
}
