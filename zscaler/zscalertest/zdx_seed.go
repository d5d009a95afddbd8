package zscalertest

import (
	"fmt"
	"time"
)

// seed fills the ZDX collections: 14 devices of 8 users (two pages at the
// default batch size), 5 applications and 5 alerts, shaped like the SDK
// models named in ServeZDX.
func (z *ZDX) seed() {
	users := []struct {
		id          int
		name, email string
		devices     int
	}{
		{77201, "Jane Doe", "jane.doe@acme.com", 2}, {77202, "John Smith", "john.smith@acme.com", 2},
		{77203, "Priya Patel", "priya.patel@acme.com", 2}, {77204, "Chen Wei", "chen.wei@acme.com", 2},
		{77205, "Maria Garcia", "maria.garcia@acme.com", 2}, {77206, "Ahmed Khan", "ahmed.khan@acme.com", 2},
		{77207, "Lena Muller", "lena.muller@acme.com", 1}, {77208, "Tom Brown", "tom.brown@acme.com", 1},
	}
	z.Devices = NewCollection("id", false)
	id := 132559200
	for _, u := range users {
		for n := 1; n <= u.devices; n++ {
			id++
			z.Devices.Create(zdxDevice(id, u.id, u.name, u.email, n))
		}
	}
	z.Apps = NewCollection("id", false,
		zdxApp(1, "Microsoft Teams", 82, "San Jose", "California", "United States", 412, 430, 12, 58, 360),
		zdxApp(3, "Salesforce", 91, "Frankfurt", "Hesse", "Germany", 288, 301, 2, 19, 280),
		zdxApp(5, "Zoom", 64, "Singapore", "Singapore", "Singapore", 350, 362, 61, 97, 204),
		zdxApp(7, "ServiceNow", 88, "London", "England", "United Kingdom", 190, 197, 4, 20, 173),
		zdxApp(9, "Box", 47, "Mumbai", "Maharashtra", "India", 121, 125, 48, 40, 37),
	)
	now := time.Now().Unix()
	z.Alerts = NewCollection("id", false,
		zdxAlert(7346401, "Zoom Poor Score APAC", "CRITICAL", "ONGOING", 5, "Zoom", 12, now-3600, 0),
		zdxAlert(7346402, "Box Web Probe Failures", "WARNING", "ONGOING", 9, "Box", 4, now-1800, 0),
		zdxAlert(7346403, "Teams Latency San Jose", "WARNING", "ONGOING", 1, "Microsoft Teams", 3, now-900, 0),
		zdxAlert(7346390, "Salesforce DNS Time", "WARNING", "RESOLVED", 3, "Salesforce", 2, now-86400, now-82800),
		zdxAlert(7346391, "Zoom Poor Score EU", "CRITICAL", "RESOLVED", 5, "Zoom", 5, now-172800, now-169200),
	)
}

func zdxDevice(id, userID int, userName, email string, n int) map[string]any {
	short := email[:len(email)-len("@acme.com")]
	host := fmt.Sprintf("LT-%s-%02d", short, n)
	osName, osVer := "Microsoft Windows 11 Enterprise", "10.0.22631"
	if n == 2 {
		osName, osVer = "macOS Sonoma", "14.6.1"
	}
	return map[string]any{
		"id": id, "name": host, "userid": userID, "userName": userName, "userEmail": email,
		"hardware": map[string]any{
			"hw_model": "Latitude 7440", "hw_mfg": "Dell Inc.", "hw_type": "Laptop", "hw_serial": fmt.Sprintf("SN%07d", id%10000000),
			"tot_mem": 16384, "gpu": "Intel Iris Xe", "disk_size": 512, "disk_model": "NVMe SSD", "disk_type": "SSD",
			"cpu_mfg": "Intel", "cpu_model": "Core i7-1365U", "speed_ghz": 1.8, "logical_proc": 12, "num_cores": 10,
		},
		"network": []any{map[string]any{
			"net_type": "WiFi", "status": "Connected", "ipv4": fmt.Sprintf("192.168.%d.%d", userID%250, 10+n),
			"dns_srvs": "192.168.1.1", "gateway": "192.168.1.1", "mac": fmt.Sprintf("3C:22:FB:%02X:%02X:%02X", id%256, userID%256, n),
			"wifi_adapter": "Intel Wi-Fi 6E AX211", "wifi_type": "802.11ax", "ssid": "ACME-Corp",
		}},
		"software": map[string]any{
			"os_name": osName, "os_ver": osVer, "hostname": host, "user": short,
			"client_conn_ver": "4.4.0.379", "zdx_ver": "4.4.0.150",
		},
	}
}

func zdxApp(id int, name string, score float64, city, region, country string, users, devices, poor, okay, good int) map[string]any {
	return map[string]any{
		"id": id, "name": name, "score": score, "total_users": users,
		"most_impacted_region": map[string]any{"id": fmt.Sprintf("%s.%s", country, city), "city": city, "region": region, "country": country, "geo_type": "CITY"},
		"stats":                map[string]any{"active_users": users, "active_devices": devices, "num_poor": poor, "num_okay": okay, "num_good": good},
	}
}

func zdxAlert(id int, rule, severity, status string, appID int, appName string, devices int, started, ended int64) map[string]any {
	a := map[string]any{
		"id": id, "rule_name": rule, "severity": severity, "alert_type": "APPLICATION", "alert_status": status,
		"num_geolocations": 1, "num_devices": devices, "started_on": started,
		"application": map[string]any{"id": appID, "name": appName},
		"departments": []any{map[string]any{"id": 4100, "name": "Engineering", "num_devices": devices}},
	}
	if ended != 0 {
		a["ended_on"] = ended
	}
	return a
}
