package resource

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's Prometheus collectors, on a registry of their own
// (no global state).
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	auth     *prometheus.CounterVec

	// children caches the label-resolved series (label hashing costs more
	// than the increment on a hot path); routes and statuses are bounded.
	children   sync.Map // seriesKey → series
	authSeries sync.Map // [mode, result] → prometheus.Counter
}

type seriesKey struct {
	route, method string
	status        int
}

type series struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

// NewMetrics registers the collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zscaler_mcp_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "zscaler_mcp_http_request_duration_seconds", Help: "HTTP request latency by route (streams count until they end).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		auth: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zscaler_mcp_auth_total", Help: "Client authentication outcomes by mode and result.",
		}, []string{"mode", "result"}),
	}
	m.Registry.MustRegister(m.requests, m.latency, m.auth,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveAuth counts one authentication outcome.
func (m *Metrics) ObserveAuth(mode, result string) {
	if mode == "" {
		mode = "unknown"
	}
	k := [2]string{mode, result} // both come from a fixed set
	c, ok := m.authSeries.Load(k)
	if !ok {
		c, _ = m.authSeries.LoadOrStore(k, m.auth.WithLabelValues(mode, result))
	}
	c.(prometheus.Counter).Inc()
}

// CacheStats reports hits and misses of a cache for the hit-ratio metrics.
type CacheStats func() (hits, misses uint64)

// RegisterCache exposes a cache's hits and misses as counters named
// zscaler_mcp_cache_{hits,misses}_total{cache="name"}.
func (m *Metrics) RegisterCache(name string, stats CacheStats) {
	labels := prometheus.Labels{"cache": name}
	m.Registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "zscaler_mcp_cache_hits_total", Help: "Cache hits.", ConstLabels: labels},
			func() float64 { h, _ := stats(); return float64(h) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "zscaler_mcp_cache_misses_total", Help: "Cache misses.", ConstLabels: labels},
			func() float64 { _, mi := stats(); return float64(mi) }),
	)
}

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// Middleware counts requests by chi route pattern (never the raw path, so
// cardinality stays bounded).
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(ww, r)
		route := "other"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		m.observe(route, r.Method, ww.status, start)
	})
}

// Route counts requests under a fixed route label, for handlers served
// outside the chi router (the MCP routes, see Server.ServeHTTP).
func (m *Metrics) Route(route string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			ww := &statusWriter{ResponseWriter: w}
			next.ServeHTTP(ww, r)
			m.observe(route, r.Method, ww.status, start)
		})
	}
}

// observe counts one finished request (status 0: nothing written, 200).
func (m *Metrics) observe(route, method string, status int, start time.Time) {
	if status == 0 {
		status = http.StatusOK
	}
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodOptions, http.MethodHead, http.MethodPut:
	default:
		method = "other" // client-chosen strings must not grow the series set
	}
	k := seriesKey{route, method, status}
	v, ok := m.children.Load(k)
	if !ok {
		v, _ = m.children.LoadOrStore(k, series{
			requests: m.requests.WithLabelValues(route, method, strconv.Itoa(status)),
			latency:  m.latency.WithLabelValues(route),
		})
	}
	sr := v.(series)
	sr.requests.Inc()
	sr.latency.Observe(time.Since(start).Seconds())
}

// statusWriter records the response status for the metrics. It keeps
// http.Flusher (SSE and streamable HTTP flush events) and Unwrap (for
// http.ResponseController) of the writer it wraps.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
