package zscalertest

import "net/http"

// The provisioning-key and policy-set routes of the ZPA stand-in (see
// ServeZPA for the SDK files they follow).

// zpaAssociationTypes are the association types of provisioning keys.
var zpaAssociationTypes = map[string]bool{"CONNECTOR_GRP": true, "SERVICE_EDGE_GRP": true}

func (z *ZPA) listProvisioningKeys(w http.ResponseWriter, r *http.Request) {
	at := r.PathValue("associationType")
	if !zpaAssociationTypes[at] {
		zpaError(w, http.StatusBadRequest, "invalid.input.parameter", "associationType must be CONNECTOR_GRP or SERVICE_EDGE_GRP")
		return
	}
	var keys []map[string]any
	for _, k := range z.ProvisioningKeys.List() {
		if k["associationType"] == at {
			keys = append(keys, k)
		}
	}
	z.pager.write(w, r, keys)
}

// zpaPolicyTypes maps the policy types of policysetcontroller.go to the
// ids of their policy sets in the stand-in (only ACCESS_POLICY has rules).
var zpaPolicyTypes = map[string]string{
	"ACCESS_POLICY": "", "TIMEOUT_POLICY": "216196257331282093", "REAUTH_POLICY": "216196257331282093",
	"CLIENT_FORWARDING_POLICY": "216196257331282094", "BYPASS_POLICY": "216196257331282094",
	"INSPECTION_POLICY": "216196257331282095", "ISOLATION_POLICY": "216196257331282096",
	"CREDENTIAL_POLICY": "216196257331282097", "CAPABILITIES_POLICY": "216196257331282098",
	"SIEM_POLICY": "216196257331282099", "REDIRECTION_POLICY": "216196257331282100",
}

func (z *ZPA) setID(policyType string) (string, bool) {
	id, ok := zpaPolicyTypes[policyType]
	if policyType == "ACCESS_POLICY" {
		id = z.AccessPolicySetID
	}
	return id, ok
}

func (z *ZPA) getPolicySet(w http.ResponseWriter, r *http.Request) {
	pt := r.PathValue("policyType")
	id, ok := z.setID(pt)
	if !ok {
		zpaError(w, http.StatusBadRequest, "invalid.input.parameter", "unknown policyType "+pt)
		return
	}
	set := map[string]any{"id": id, "name": pt, "enabled": true, "sorted": true, "policyType": pt, "creationTime": "1700000000", "modifiedBy": zpaAdminID}
	if pt == "ACCESS_POLICY" {
		set["name"] = "Global_Policy"
		set["rules"] = z.AccessRules.List()
	}
	WriteJSON(w, http.StatusOK, set)
}

func (z *ZPA) listPolicyRules(w http.ResponseWriter, r *http.Request) {
	pt := r.PathValue("policyType")
	if _, ok := z.setID(pt); !ok {
		zpaError(w, http.StatusBadRequest, "invalid.input.parameter", "unknown policyType "+pt)
		return
	}
	var rules []map[string]any
	if pt == "ACCESS_POLICY" {
		rules = z.AccessRules.List()
	}
	z.pager.write(w, r, rules)
}

func (z *ZPA) getPolicyRule(w http.ResponseWriter, r *http.Request) {
	setID, ruleID := r.PathValue("policySetId"), r.PathValue("ruleId")
	rule, ok := z.AccessRules.Get(ruleID)
	if !ok || rule["policySetId"] != setID {
		zpaNotFound(w, "policy rule", ruleID+" in policy set "+setID)
		return
	}
	WriteJSON(w, http.StatusOK, rule)
}
