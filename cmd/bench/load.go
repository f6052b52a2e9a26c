package main

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is one measurement: throughput and latency percentiles.
type result struct {
	ops      int
	errors   int
	elapsed  time.Duration
	p50, p99 time.Duration
	firstErr error
}

func (r result) perSec() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.ops) / r.elapsed.Seconds()
}

// op is one unit of work of a worker; it returns an error when the
// response is not the expected one.
type op func(ctx context.Context, c *http.Client, worker, i int) error

// load runs conc workers, each looping op, until dur has passed or max
// ops are done in all. Loopback only: the URLs come from servers this
// run started.
func load(ctx context.Context, conc int, dur time.Duration, max int, fn op) result {
	tr := &http.Transport{MaxIdleConns: conc * 2, MaxIdleConnsPerHost: conc * 2, DisableCompression: true, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	// The deadline only stops workers from starting new operations; one in
	// flight runs to its end and counts, so slow operations (bcrypt) are
	// neither cut off nor left running on the server into the next scenario.
	deadline, cancel := context.WithTimeout(ctx, dur)
	defer cancel()
	var (
		mu    sync.Mutex
		lats  []time.Duration
		res   result
		wg    sync.WaitGroup
		taken atomic.Int64
	)
	start := time.Now()
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1024)
			errs := 0
			var first error
			for i := 0; ; i++ {
				if deadline.Err() != nil || ctx.Err() != nil {
					break
				}
				if taken.Add(1) > int64(max) {
					break
				}
				t0 := time.Now()
				err := fn(ctx, c, w, i)
				if err != nil {
					if ctx.Err() != nil {
						break // the run was interrupted, not a failure
					}
					errs++
					if first == nil {
						first = err
					}
					continue
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, local...)
			res.errors += errs
			if res.firstErr == nil {
				res.firstErr = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.ops = len(lats)
	if len(lats) > 0 {
		slices.Sort(lats)
		res.p50 = lats[len(lats)/2]
		res.p99 = lats[min(len(lats)-1, len(lats)*99/100)]
	}
	return res
}
