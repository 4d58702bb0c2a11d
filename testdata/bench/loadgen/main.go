// Command loadgen drives an HTTP prediction endpoint open-loop: it sends
// one request every 1/rate seconds whether or not earlier ones have been
// answered, as independent clients would, and measures each request's
// latency from the moment it was due, so that a stalled server shows in
// the percentiles instead of slowing the load down. It prints one JSON
// object with the percentiles, for testdata/bench/run.py.
//
//	go run ./testdata/bench/loadgen -url http://127.0.0.1:8780/api/models/churn@1/predict \
//	    -body rows.json -rate 500 -duration 10s [-header "Authorization: Bearer TOKEN"]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

type result struct {
	URL      string  `json:"url"`
	Rate     float64 `json:"rate"`
	Seconds  float64 `json:"seconds"`
	Sent     int     `json:"sent"`
	Errors   int     `json:"errors"`
	FirstErr string  `json:"first_error,omitempty"`
	P50      float64 `json:"p50_ms"`
	P90      float64 `json:"p90_ms"`
	P99      float64 `json:"p99_ms"`
	// P99All is the 99th percentile over every request sent, a failed one
	// counting as never answered: null when more than 1% failed.
	P99All   *float64 `json:"p99_all_ms"`
	Max      float64  `json:"max_ms"`
	Achieved float64  `json:"achieved_rate"`
}

type headers []string

func (h *headers) String() string     { return strings.Join(*h, ", ") }
func (h *headers) Set(v string) error { *h = append(*h, v); return nil }

func main() {
	url := flag.String("url", "", "endpoint to POST to")
	bodyFile := flag.String("body", "", "file holding the JSON request body")
	rate := flag.Float64("rate", 100, "requests per second")
	duration := flag.Duration("duration", 10*time.Second, "how long to send requests (after the warm-up)")
	warmup := flag.Duration("warmup", 2*time.Second, "requests sent at the same rate before measuring")
	timeout := flag.Duration("timeout", 10*time.Second, "longest a request may take before it counts as an error")
	var hs headers
	flag.Var(&hs, "header", "extra request header as 'Name: value' (repeatable)")
	flag.Parse()
	if *url == "" || *bodyFile == "" || *rate <= 0 {
		fmt.Fprintln(os.Stderr, "loadgen: -url, -body and a positive -rate are required")
		os.Exit(2)
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	client := &http.Client{Timeout: *timeout, Transport: &http.Transport{MaxIdleConnsPerHost: 1024, MaxConnsPerHost: 0, DisableCompression: true}}
	send := func(due time.Time) (time.Duration, error) {
		req, err := http.NewRequest("POST", *url, bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		req.Header.Set("Content-Type", "application/json")
		for _, h := range hs {
			k, v, _ := strings.Cut(h, ":")
			req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(due)
		if resp.StatusCode != 200 {
			return d, fmt.Errorf("status %d: %.200s", resp.StatusCode, b)
		}
		return d, nil
	}
	run := func(d time.Duration) ([]time.Duration, int, string, time.Duration) {
		interval := time.Duration(float64(time.Second) / *rate)
		n := int(d / interval)
		lat := make([]time.Duration, 0, n)
		var mu sync.Mutex
		var wg sync.WaitGroup
		errs, first := 0, ""
		start := time.Now()
		for i := 0; i < n; i++ {
			due := start.Add(time.Duration(i) * interval)
			if w := time.Until(due); w > 0 {
				time.Sleep(w)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				l, err := send(due)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
					return
				}
				lat = append(lat, l)
			}()
		}
		wg.Wait()
		return lat, errs, first, time.Since(start)
	}
	if *warmup > 0 {
		run(*warmup)
	}
	lat, errs, first, took := run(*duration)
	slices.Sort(lat)
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		i := int(p * float64(len(lat)-1))
		return float64(lat[i].Microseconds()) / 1000
	}
	r := result{URL: *url, Rate: *rate, Seconds: took.Seconds(), Sent: len(lat) + errs, Errors: errs, FirstErr: first,
		P50: pct(0.50), P90: pct(0.90), P99: pct(0.99), Max: pct(1), Achieved: float64(len(lat)+errs) / took.Seconds()}
	if sent := len(lat) + errs; sent > 0 {
		// Failures sort after every answer, so the percentile is an answer's
		// only while its rank falls among the answers.
		if i := int(0.99 * float64(sent-1)); i < len(lat) {
			v := float64(lat[i].Microseconds()) / 1000
			r.P99All = &v
		}
	}
	json.NewEncoder(os.Stdout).Encode(r)
}
