// Command bench measures the Runtime API server over real HTTP against a
// bare net/http handler started in the same run, and prints each figure
// with its ratio to that baseline. See BENCHMARKS.md for the method.
//
//	go run ./cmd/bench                    # SQLite, the default
//	go run ./cmd/bench -postgres URL      # also PostgreSQL
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if len(os.Args) > 2 && os.Args[1] == "-baseline-serve" {
		// Child mode: the baseline server, in its own process like the
		// real one so both pay the same process and scheduling costs.
		if err := serveBaseline(ctx, os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "bench baseline:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.DurationVar(&o.duration, "duration", defaultDuration, "how long each scenario runs at each concurrency")
	flag.IntVar(&o.maxRequests, "max-requests", 200000, "upper bound of requests per scenario and concurrency")
	flag.StringVar(&o.concurrency, "concurrency", "1,16,64", "comma-separated concurrency levels")
	flag.IntVar(&o.bcryptCost, "bcrypt-cost", 12, "the server's bcrypt cost (the production default is 12)")
	flag.StringVar(&o.postgres, "postgres", os.Getenv("RUNTIME_BENCH_POSTGRES_URL"), "also run on this PostgreSQL database (it is emptied)")
	flag.BoolVar(&o.large, "large", true, "also measure (a) and (c) with 100 000 users and 10 000 sites")
	flag.StringVar(&o.scenarios, "scenarios", "a,b,c,d,e", "which scenarios to run: a GET /users/me (user), b GET /users/me (client), c client-credentials login, d password login, e site + credentials")
	flag.StringVar(&o.serverFlags, "server-flags", "", "extra flags for the server, space-separated (e.g. \"--log-level warn\")")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "bench: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	if err := o.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	err := run(ctx, o)
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "bench: interrupted; no results")
		os.Exit(130)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
