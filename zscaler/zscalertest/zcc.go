package zscalertest

import (
	"net/http"
	"strconv"
	"strings"
)

// ZCC is the in-memory Zscaler Client Connector tenant behind the ZCC
// routes. Tests may add or change objects through its collections.
type ZCC struct {
	// Devices are keyed by a numeric "id" the stand-in adds; the API
	// identifies devices by udid.
	Devices            *Collection
	TrustedNetworks    *Collection
	ForwardingProfiles *Collection
}

// zccMaxPageSize is the largest ZCC pageSize (zscaler-sdk-go
// zscaler/zcc/services/common/common.go: MaxPageSize 5000).
const zccMaxPageSize = 5000

// ServeZCC registers the ZCC routes on s, seeded with a small tenant, and
// returns the tenant. Bad query parameters answer 400 with a
// {"code","message"} body.
func ServeZCC(s *Server) *ZCC {
	z := &ZCC{}
	z.seed()

	// Devices: zscaler-sdk-go zscaler/zcc/services/devices/zcc_devices.go
	// (GET /getDevices, paged bare array) and zscaler-sdk-python
	// zscaler/zcc/devices.py list_devices: username, osType (1 iOS,
	// 2 Android, 3 Windows, 4 macOS, 5 Linux), page, pageSize (max 5000).
	s.Handle("GET /zcc/papi/public/v1/getDevices", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		items := z.Devices.List()
		if v := q.Get("osType"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 5 {
				ziaError(w, http.StatusBadRequest, "INVALID_INPUT_ARGUMENT", "osType must be 1 (iOS), 2 (Android), 3 (Windows), 4 (macOS) or 5 (Linux)")
				return
			}
			kept := items[:0]
			for _, d := range items {
				if t, _ := d["type"].(float64); int(t) == n {
					kept = append(kept, d)
				}
			}
			items = kept
		}
		if v := q.Get("username"); v != "" {
			kept := items[:0]
			for _, d := range items {
				if u, _ := d["user"].(string); strings.EqualFold(u, v) {
					kept = append(kept, d)
				}
			}
			items = kept
		}
		ziaPaged(w, r, items, 50, zccMaxPageSize)
	})

	// Device details: zscaler-sdk-python zscaler/zcc/devices.py get_device_details
	// (GET /getDeviceDetails?username=&udid=) and zscaler/zcc/models/devices.py
	// DeviceDetails (snake_case fields). Answers the details of the first
	// device matching both filters, 404 when none does.
	s.Handle("GET /zcc/papi/public/v1/getDeviceDetails", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		udid, user := q.Get("udid"), q.Get("username")
		if udid == "" && user == "" {
			ziaError(w, http.StatusBadRequest, "INVALID_INPUT_ARGUMENT", "udid or username is required")
			return
		}
		for _, d := range z.Devices.List() {
			if (udid == "" || d["udid"] == udid) && (user == "" || strings.EqualFold(d["user"].(string), user)) {
				WriteJSON(w, http.StatusOK, map[string]any{
					"unique_id": d["udid"], "user_name": d["user"], "machineHostname": d["machineHostname"],
					"os_version": d["osVersion"], "agent_version": d["agentVersion"], "type": d["type"],
					"manufacturer": d["manufacturer"], "owner": d["owner"], "state": d["state"], "mac_address": d["macAddress"],
					"last_seen_time": d["last_seen_time"], "tunnelVersion": d["tunnelVersion"], "devicePolicyName": d["policyName"],
					"zappArch": d["zappArch"], "rooted": false, "device_locale": "en_US", "hardwareFingerprint": "",
				})
				return
			}
		}
		ziaError(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "no device matches udid "+strconv.Quote(udid)+" and username "+strconv.Quote(user))
	})

	// Trusted networks: zscaler-sdk-go zscaler/zcc/services/trusted_network/trusted_network.go
	// (GET /webTrustedNetwork/listByCompany?search=&page=&pageSize=,
	// answering {"totalCount", "trustedNetworkContracts"}).
	s.Handle("GET /zcc/papi/public/v1/webTrustedNetwork/listByCompany", func(w http.ResponseWriter, r *http.Request) {
		all := ziaFilter(r, z.TrustedNetworks.List(), map[string]ziaMatch{"search": ziaSearch("networkName")})
		page, size, ok := ziaPageParams(w, r, 50, zccMaxPageSize)
		if !ok {
			return
		}
		start := min((page-1)*size, len(all))
		end := min(start+size, len(all))
		WriteJSON(w, http.StatusOK, map[string]any{"totalCount": len(all), "trustedNetworkContracts": all[start:end]})
	})

	// Forwarding profiles: zscaler-sdk-go zscaler/zcc/services/forwarding_profile/forwarding_profile.go
	// (GET /webForwardingProfile/listByCompany?search=&page=&pageSize=, bare array).
	s.Handle("GET /zcc/papi/public/v1/webForwardingProfile/listByCompany", func(w http.ResponseWriter, r *http.Request) {
		ziaPaged(w, r, ziaFilter(r, z.ForwardingProfiles.List(), map[string]ziaMatch{"search": ziaSearch("name")}), 50, zccMaxPageSize)
	})
	return z
}

// ZCCDevice returns a device object shaped like zscaler-sdk-go
// zcc/services/devices GetDevices, for seeding and tests.
func ZCCDevice(user, hostname string, osType int, osVersion string) map[string]any {
	return map[string]any{
		"user": user, "machineHostname": hostname, "type": osType, "osVersion": osVersion,
		"udid":         "UDID-" + strings.ToUpper(strings.ReplaceAll(hostname, "-", "")),
		"agentVersion": "4.5.0.198", "companyName": "Acme", "owner": "Company", "manufacturer": "Acme Devices",
		"registrationState": "Registered", "state": 1, "policyName": "Default", "tunnelVersion": "2.0",
		"macAddress": "00:11:22:33:44:55", "last_seen_time": "2026-11-25 10:00:00 GMT", "vpnState": 0,
		"zappArch": "x64", "upmVersion": "", "deregistrationTimestamp": "", "download_count": 1,
	}
}

func (z *ZCC) seed() {
	z.Devices = NewCollection("id", false,
		ZCCDevice("alice@acme.example", "alice-mbp", 4, "macOS 15.1"),
		ZCCDevice("alice@acme.example", "alice-iphone", 1, "iOS 18.1"),
		ZCCDevice("bob@acme.example", "bob-thinkpad", 3, "Windows 11 23H2"),
		ZCCDevice("carol@acme.example", "carol-pixel", 2, "Android 15"),
		ZCCDevice("dan@acme.example", "dan-ubuntu", 5, "Ubuntu 24.04"),
	)
	z.TrustedNetworks = NewCollection("id", true,
		map[string]any{
			"id": "1001", "networkName": "HQ Wired", "active": true, "companyId": "42", "conditionType": 1,
			"dnsServers": "10.0.0.53,10.0.1.53", "dnsSearchDomains": "corp.acme.example", "trustedSubnets": "10.0.0.0/16",
			"trustedGateways": "10.0.0.1", "trustedDhcpServers": "10.0.0.2", "trustedEgressIps": "203.0.113.10",
			"hostnames": "", "resolvedIpsForHostname": "", "ssids": "", "guid": "a1b2c3d4-0000-4000-8000-000000001001",
		},
		map[string]any{
			"id": "1002", "networkName": "London Office Wi-Fi", "active": true, "companyId": "42", "conditionType": 0,
			"ssids": "ACME-CORP", "dnsServers": "10.20.0.53", "dnsSearchDomains": "", "trustedSubnets": "10.20.0.0/16",
			"guid": "a1b2c3d4-0000-4000-8000-000000001002",
		},
	)
	z.ForwardingProfiles = NewCollection("id", false,
		map[string]any{
			"id": 2001, "name": "Default", "active": "1", "conditionType": 0, "trustedNetworkIds": []any{1001, 1002},
			"forwardingProfileActions": []any{map[string]any{"networkType": 0, "actionType": 1, "primaryTransport": 1}},
		},
		map[string]any{
			"id": 2002, "name": "Remote Workers", "active": "1", "conditionType": 0, "trustedNetworkIds": []any{},
			"forwardingProfileActions": []any{map[string]any{"networkType": 1, "actionType": 1, "primaryTransport": 0}},
		},
	)
}
