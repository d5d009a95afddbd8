package zscalertest

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ZDX is the in-memory state of the ZDX stand-in.
type ZDX struct {
	// Devices are the devices of /zdx/v1/devices, as the detail route
	// answers them; the list answers a summary of each.
	Devices *Collection
	// Apps are the monitored applications of /zdx/v1/apps with their scores.
	Apps *Collection
	// Alerts are the alerts of /zdx/v1/alerts/{ongoing,historical}
	// (alert_status "ONGOING" or "RESOLVED").
	Alerts *Collection
	// PageSize is the batch size of cursor-paged lists when the client
	// sends no limit.
	PageSize int
}

// zdxError writes an error body (the ZDX SDK reads only the status; the
// stand-in adds a code and message like the other OneAPI services).
func zdxError(w http.ResponseWriter, status int, code, msg string) {
	WriteJSON(w, status, map[string]string{"code": code, "message": msg})
}

// ServeZDX registers the ZDX routes on s, seeded with a small tenant, and
// returns their state.
func ServeZDX(s *Server) *ZDX {
	z := &ZDX{PageSize: 10}
	z.seed()

	// zscaler-sdk-go zscaler/zdx/services/reports/devices/devices.go and
	// types.go: GET /zdx/v1/devices with from/to (Unix seconds), emails,
	// userids, offset (the previous answer's next_offset) and limit,
	// answering {"devices": [...], "next_offset": ...} (null when done);
	// GET /zdx/v1/devices/{deviceid} answers DeviceDetail.
	s.Handle("GET /zdx/v1/devices", z.listDevices)
	s.Handle("GET /zdx/v1/devices/{id}", zdxGet(z.Devices, "device"))
	// zscaler-sdk-go zscaler/zdx/services/reports/applications/applications.go:
	// GET /zdx/v1/apps answers a bare array of Apps (score, most impacted
	// region, stats); GET /zdx/v1/apps/{appid} one of them.
	// application_score_metrics.go: GET /zdx/v1/apps/{appid}/score answers
	// [{"metric": "score", "datapoints": [{"timestamp", "value"}]}].
	s.Handle("GET /zdx/v1/apps", func(w http.ResponseWriter, r *http.Request) {
		if _, _, ok := zdxRange(w, r); ok {
			WriteJSON(w, http.StatusOK, z.Apps.List())
		}
	})
	s.Handle("GET /zdx/v1/apps/{id}", func(w http.ResponseWriter, r *http.Request) {
		if _, _, ok := zdxRange(w, r); ok {
			zdxGet(z.Apps, "application")(w, r)
		}
	})
	s.Handle("GET /zdx/v1/apps/{id}/score", z.appScore)
	// zscaler-sdk-go zscaler/zdx/services/alerts/alerts.go:
	// GET /zdx/v1/alerts/ongoing and /zdx/v1/alerts/historical answer
	// {"alerts": [...], "next_offset": "..."}; GET /zdx/v1/alerts/{alert_id}
	// one alert; GET /zdx/v1/alerts/{alert_id}/affected_devices answers
	// {"devices": [...], "next_offset": "..."}.
	s.Handle("GET /zdx/v1/alerts/ongoing", func(w http.ResponseWriter, r *http.Request) { z.listAlerts(w, r, "ONGOING") })
	s.Handle("GET /zdx/v1/alerts/historical", func(w http.ResponseWriter, r *http.Request) { z.listAlerts(w, r, "RESOLVED") })
	s.Handle("GET /zdx/v1/alerts/{id}", zdxGet(z.Alerts, "alert"))
	s.Handle("GET /zdx/v1/alerts/{id}/affected_devices", z.affectedDevices)
	return z
}

func zdxGet(c *Collection, what string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		o, ok := c.Get(r.PathValue("id"))
		if !ok {
			zdxError(w, http.StatusNotFound, "NOT_FOUND", what+" "+r.PathValue("id")+" not found")
			return
		}
		WriteJSON(w, http.StatusOK, o)
	}
}

// zdxRange checks from and to (Unix seconds; to defaults to now and from
// to 2 hours before to) and returns them.
func zdxRange(w http.ResponseWriter, r *http.Request) (from, to int64, ok bool) {
	from, to = -1, time.Now().Unix()
	q := r.URL.Query()
	for name, dst := range map[string]*int64{"from": &from, "to": &to} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				zdxError(w, http.StatusBadRequest, "INVALID_PARAM", name+" must be Unix seconds")
				return 0, 0, false
			}
			*dst = n
		}
	}
	if from < 0 {
		from = to - 2*3600
	}
	if to <= from {
		zdxError(w, http.StatusBadRequest, "INVALID_PARAM", "to must be after from")
		return 0, 0, false
	}
	return from, to, true
}

// zdxPage answers one cursor page of items under key.
func (z *ZDX) zdxPage(w http.ResponseWriter, r *http.Request, key string, items []map[string]any) {
	q := r.URL.Query()
	start := 0
	if off := q.Get("offset"); off != "" {
		b, err := base64.RawURLEncoding.DecodeString(off)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(b), "zdx:"))
		if err != nil || err2 != nil || !strings.HasPrefix(string(b), "zdx:") || n < 0 || n > len(items) {
			zdxError(w, http.StatusBadRequest, "INVALID_PARAM", "offset is not a next_offset of this list")
			return
		}
		start = n
	}
	size := z.PageSize
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			zdxError(w, http.StatusBadRequest, "INVALID_PARAM", "limit must be a positive integer")
			return
		}
		size = n
	}
	end := min(start+size, len(items))
	var next any
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte("zdx:" + strconv.Itoa(end)))
	}
	WriteJSON(w, http.StatusOK, map[string]any{key: items[start:end], "next_offset": next})
}

func (z *ZDX) listDevices(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := zdxRange(w, r); !ok {
		return
	}
	q := r.URL.Query()
	emails, userIDs := q["emails"], q["userids"]
	var out []map[string]any
	for _, d := range z.Devices.List() {
		email, _ := d["userEmail"].(string)
		uid := strconv.FormatFloat(d["userid"].(float64), 'f', -1, 64)
		if (len(emails) > 0 && !slices.ContainsFunc(emails, func(e string) bool { return strings.EqualFold(e, email) })) ||
			(len(userIDs) > 0 && !slices.Contains(userIDs, uid)) {
			continue
		}
		out = append(out, map[string]any{"id": d["id"], "name": d["name"], "userid": d["userid"], "userName": d["userName"], "userEmail": email})
	}
	z.zdxPage(w, r, "devices", out)
}

func (z *ZDX) appScore(w http.ResponseWriter, r *http.Request) {
	from, to, ok := zdxRange(w, r)
	if !ok {
		return
	}
	app, found := z.Apps.Get(r.PathValue("id"))
	if !found {
		zdxError(w, http.StatusNotFound, "NOT_FOUND", "application "+r.PathValue("id")+" not found")
		return
	}
	score, _ := app["score"].(float64)
	var points []map[string]any
	step := max((to-from)/24, 300)
	for ts, i := from-from%step+step, 0; ts <= to; ts, i = ts+step, i+1 {
		points = append(points, map[string]any{"timestamp": ts, "value": score - float64(i%5)})
	}
	WriteJSON(w, http.StatusOK, []map[string]any{{"metric": "score", "unit": "", "datapoints": points}})
}

func (z *ZDX) listAlerts(w http.ResponseWriter, r *http.Request, status string) {
	if _, _, ok := zdxRange(w, r); !ok {
		return
	}
	var out []map[string]any
	for _, a := range z.Alerts.List() {
		if a["alert_status"] == status {
			out = append(out, a)
		}
	}
	z.zdxPage(w, r, "alerts", out)
}

// affectedDevices answers the first num_devices devices of the tenant as
// the devices an alert affects.
func (z *ZDX) affectedDevices(w http.ResponseWriter, r *http.Request) {
	alert, ok := z.Alerts.Get(r.PathValue("id"))
	if !ok {
		zdxError(w, http.StatusNotFound, "NOT_FOUND", "alert "+r.PathValue("id")+" not found")
		return
	}
	if _, _, ok := zdxRange(w, r); !ok {
		return
	}
	n, _ := alert["num_devices"].(float64)
	var out []map[string]any
	for _, d := range z.Devices.List() {
		if len(out) == int(n) {
			break
		}
		out = append(out, map[string]any{"id": d["id"], "name": d["name"], "userid": d["userid"], "userName": d["userName"], "userEmail": d["userEmail"]})
	}
	z.zdxPage(w, r, "devices", out)
}
