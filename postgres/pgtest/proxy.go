package pgtest

import (
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// Proxy is a TCP proxy in front of the test database that a test can stop
// and start again, to show how a server behaves while its database is
// unreachable and after it returns. Stop closes the listening port (new
// connections are refused) and every open connection (queries in flight
// fail); Start listens on the same port again.
type Proxy struct {
	t       testing.TB
	network string // of the database: tcp or unix
	target  string
	addr    string // the proxy's own 127.0.0.1:port

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// NewProxy starts a proxy to the server that dsn names and returns it with
// dsn rewritten to connect through it. The proxy stops when t ends.
func NewProxy(t testing.TB, dsn string) (*Proxy, string) {
	t.Helper()
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("%s: %v", EnvDSN, err)
	}
	p := &Proxy{t: t, network: "tcp", target: net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), addr: "127.0.0.1:0", conns: map[net.Conn]struct{}{}}
	if strings.HasPrefix(cfg.Host, "/") {
		p.network, p.target = "unix", fmt.Sprintf("%s/.s.PGSQL.%d", cfg.Host, cfg.Port)
	}
	p.Start()
	t.Cleanup(p.Stop)
	host, port, _ := net.SplitHostPort(p.addr)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			t.Fatalf("%s: %v", EnvDSN, err)
		}
		u.Host = p.addr
		q := u.Query()
		q.Del("host")
		q.Del("port")
		u.RawQuery = q.Encode()
		return p, u.String()
	}
	// In a keyword/value string a later keyword wins.
	return p, dsn + " host=" + host + " port=" + port
}

// Addr is the proxy's listening address.
func (p *Proxy) Addr() string { return p.addr }

// Start listens again (on the same port after a Stop).
func (p *Proxy) Start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		return
	}
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy: listen on %s: %v", p.addr, err)
	}
	p.ln, p.addr = ln, ln.Addr().String()
	p.wg.Go(func() { p.accept(ln) })
}

// Stop refuses new connections and breaks the open ones.
func (p *Proxy) Stop() {
	p.mu.Lock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) accept(ln net.Listener) {
	for {
		client, err := ln.Accept()
		if err != nil {
			return // closed by Stop
		}
		server, err := net.Dial(p.network, p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		if p.ln != ln { // stopped meanwhile
			p.mu.Unlock()
			client.Close()
			server.Close()
			return
		}
		p.conns[client], p.conns[server] = struct{}{}, struct{}{}
		p.mu.Unlock()
		var once sync.Once
		done := func() {
			once.Do(func() {
				client.Close()
				server.Close()
				p.mu.Lock()
				delete(p.conns, client)
				delete(p.conns, server)
				p.mu.Unlock()
			})
		}
		p.wg.Go(func() { _, _ = io.Copy(server, client); done() })
		p.wg.Go(func() { _, _ = io.Copy(client, server); done() })
	}
}
