package online

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/galley-dev/galley/server"
)

// Metrics are the service's counters, in a registry of their own. Labels
// are bounded: model and version are those of stored trained models
// (requests that name none count under model=""), codes are the API's
// error codes.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	errors   *prometheus.CounterVec
	rows     *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	starts   *prometheus.CounterVec
	batches  prometheus.Histogram
	warm     prometheus.Gauge
	// stale is 1 while aliases and canaries cannot be read from the
	// store; refreshErrors counts the reads that failed.
	stale         prometheus.Gauge
	refreshErrors prometheus.Counter
}

func newMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "galley_predict_requests_total",
			Help: "Online prediction requests by model, trained version and outcome (ok or an error code)."}, []string{"model", "version", "code"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "galley_predict_errors_total",
			Help: "Online prediction requests that failed, by model and error code."}, []string{"model", "code"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "galley_predict_rows_total",
			Help: "Rows scored online, by model and trained version."}, []string{"model", "version"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "galley_predict_latency_seconds",
			Help:    "Time to answer an online prediction request inside the server, by model and trained version.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"model", "version"}),
		starts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "galley_predict_worker_starts_total",
			Help: "Serving worker processes started, by model."}, []string{"model"}),
		batches: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "galley_predict_batch_rows",
			Help: "Rows per micro-batch that combined several requests.", Buckets: prometheus.ExponentialBuckets(2, 2, 12)}),
		warm: prometheus.NewGauge(prometheus.GaugeOpts{Name: "galley_predict_warm_versions",
			Help: "Trained versions kept warm for online scoring."}),
		stale: prometheus.NewGauge(prometheus.GaugeOpts{Name: "galley_predict_config_stale",
			Help: "1 while aliases and canaries cannot be read from the database and requests are served with the last ones read, else 0."}),
		refreshErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "galley_predict_config_read_errors_total",
			Help: "Failed reads of aliases and canaries from the database."}),
	}
	m.reg.MustRegister(m.requests, m.errors, m.rows, m.latency, m.starts, m.batches, m.warm, m.stale, m.refreshErrors)
	return m
}

// Handler serves the counters in Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// observe counts one request that t served (nil when it named no stored
// trained model).
func (m *Metrics) observe(t *server.TrainedModel, rows int, d time.Duration, err error) {
	model, version := "", ""
	if t != nil {
		model, version = t.Model, strconv.Itoa(t.Version)
	}
	code := "ok"
	if err != nil {
		code = server.ErrorCode(err)
		m.errors.WithLabelValues(model, code).Inc()
	}
	m.requests.WithLabelValues(model, version, code).Inc()
	if err == nil {
		m.rows.WithLabelValues(model, version).Add(float64(rows))
		m.latency.WithLabelValues(model, version).Observe(d.Seconds())
	}
}
