package firefox

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/corslab/corslab/engine"
)

// socksProxy is a SOCKS5 proxy (RFC 1928, CONNECT only, no authentication)
// on loopback that connects each mapped host:port to its loopback port and
// relays the bytes both ways untouched: Firefox's stand-in for Chromium's
// --host-resolver-rules.
type socksProxy struct {
	ln   net.Listener
	maps []engine.HostMapping
	wg   sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]bool
}

// startSOCKS listens on 127.0.0.1 and serves until close.
func startSOCKS(maps []engine.HostMapping) (*socksProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the host-mapping proxy: %w", err)
	}
	p := &socksProxy{ln: ln, maps: maps, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// pac is the proxy auto-config script, as a data: URL, that sends exactly
// the mapped host:port pairs to the proxy.
func (p *socksProxy) pac() string {
	var b strings.Builder
	b.WriteString("function FindProxyForURL(url, host) {\n")
	b.WriteString("  var m = url.match(/^(\\w+):\\/\\/(?:[^@\\/]*@)?(\\[[^\\]]*\\]|[^:\\/]*)(?::(\\d+))?/);\n")
	b.WriteString("  if (!m) return 'DIRECT';\n")
	b.WriteString("  var port = m[3] ? +m[3] : (m[1] === 'https' || m[1] === 'wss' ? 443 : 80);\n")
	for _, m := range p.maps {
		cond := fmt.Sprintf("port === %d", m.Port)
		if m.Host != "*" {
			cond += fmt.Sprintf(" && host === %s", strconv.Quote(strings.ToLower(m.Host)))
		} else {
			cond += " && !/\\.localhost$/.test(host) && host !== 'localhost'"
		}
		fmt.Fprintf(&b, "  if (%s) return 'SOCKS5 %s';\n", cond, p.ln.Addr())
	}
	b.WriteString("  return 'DIRECT';\n}\n")
	return "data:application/x-ns-proxy-autoconfig;charset=utf-8," + url.PathEscape(b.String())
}

// target is the loopback port for host:port, or 0.
func (p *socksProxy) target(host string, port int) int {
	host = strings.ToLower(host)
	for _, m := range p.maps {
		if m.Port == port && strings.EqualFold(m.Host, host) {
			return m.To
		}
	}
	for _, m := range p.maps {
		if m.Port == port && m.Host == "*" {
			return m.To
		}
	}
	return 0
}

func (p *socksProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.track(c, true)
			defer p.track(c, false)
			p.handle(c)
		}()
	}
}

func (p *socksProxy) track(c net.Conn, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on {
		p.conns[c] = true
	} else {
		delete(p.conns, c)
	}
}

// handle answers one client: greeting, CONNECT, then relays.
func (p *socksProxy) handle(c net.Conn) {
	defer c.Close()
	var hdr [2]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil || hdr[0] != 5 {
		return
	}
	methods := make([]byte, hdr[1])
	if _, err := io.ReadFull(c, methods); err != nil {
		return
	}
	c.Write([]byte{5, 0})
	var req [4]byte
	if _, err := io.ReadFull(c, req[:]); err != nil || req[1] != 1 {
		c.Write([]byte{5, 7, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	var host string
	switch req[3] {
	case 1, 4: // an address: Firefox resolved it itself
		ip := make([]byte, map[byte]int{1: 4, 4: 16}[req[3]])
		if _, err := io.ReadFull(c, ip); err != nil {
			return
		}
		host = net.IP(ip).String()
	case 3:
		var n [1]byte
		if _, err := io.ReadFull(c, n[:]); err != nil {
			return
		}
		name := make([]byte, n[0])
		if _, err := io.ReadFull(c, name); err != nil {
			return
		}
		host = string(name)
	default:
		c.Write([]byte{5, 8, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	var pb [2]byte
	if _, err := io.ReadFull(c, pb[:]); err != nil {
		return
	}
	to := p.target(host, int(binary.BigEndian.Uint16(pb[:])))
	if to == 0 {
		// Not mapped: refuse, never reach beyond loopback.
		c.Write([]byte{5, 2, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	up, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(to))
	if err != nil {
		c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	defer up.Close()
	p.track(up, true)
	defer p.track(up, false)
	c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0})
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); closeWrite(up); done <- struct{}{} }()
	go func() { io.Copy(c, up); closeWrite(c); done <- struct{}{} }()
	<-done
	<-done
}

func closeWrite(c net.Conn) {
	if t, ok := c.(*net.TCPConn); ok {
		t.CloseWrite()
	}
}

// close stops the proxy and ends its connections.
func (p *socksProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
