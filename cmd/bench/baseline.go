package main

import (
	"context"
	"net"
	"net/http"
	"time"
)

// baselineToken is the fixed bearer string the baseline handler checks.
const baselineToken = "Bearer baseline-token-0123456789"

// serveBaseline runs (f): a bare net/http handler that checks a fixed
// bearer string and returns a small JSON body. It is the machine's
// ceiling for an authenticated JSON GET.
func serveBaseline(ctx context.Context, addr string) error {
	body := []byte(`{"username":"alice","email":null,"full_name":null,"site_admin":["alice-lab"],"disabled":false}` + "\n")
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != baselineToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
