package firefox

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/corslab/corslab/engine"
)

// writePrefs writes the profile's user.js. The remote agent applies its own
// recommended prefs (no telemetry, updates, safe browsing ...); these are
// the lab's: cookies, no HTTP/3, no HTTPS upgrades when asked, and the host
// mapping through the driver's SOCKS proxy.
func writePrefs(profile string, opt engine.LaunchOptions, proxy *socksProxy) error {
	p := prefs{}
	// 0 accepts every cookie (the lab's default, so credentialed scenarios
	// show cookies going cross-site); 5 is Firefox's own default (Total
	// Cookie Protection: a third party gets a jar partitioned by the top
	// site, so the unpartitioned cookies are not sent).
	behavior := 0
	if opt.BlockThirdPartyCookies {
		behavior = 5
	}
	p.set("network.cookie.cookieBehavior", behavior)
	p.set("network.cookie.cookieBehavior.pbmode", behavior)
	p.set("network.http.http3.enable", false)
	p.set("browser.sessionstore.resume_from_crash", false)
	p.set("toolkit.startup.max_resumed_crashes", -1)
	p.set("privacy.trackingprotection.enabled", false)
	// Keep the CORS messages in the console service however many come.
	p.set("devtools.console.stdout.content", false)
	lnaPrefs(&p, opt)
	if opt.NoHTTPSUpgrades {
		p.set("dom.security.https_first", false)
		p.set("dom.security.https_first_schemeless", false)
		p.set("dom.security.https_only_mode", false)
	}
	if proxy != nil {
		// Firefox has no --host-resolver-rules: a PAC script sends the
		// mapped host:port pairs through the driver's SOCKS5 proxy, which
		// connects them to their loopback listener and relays the bytes
		// untouched (the request line stays origin-form, TLS goes end to
		// end). Everything else goes direct.
		p.set("network.proxy.type", 2)
		p.set("network.proxy.autoconfig_url", proxy.pac())
		p.set("network.proxy.socks_remote_dns", true)
		p.set("network.proxy.socks5_remote_dns", true)
		p.set("network.proxy.allow_hijacking_localhost", true)
		p.set("network.proxy.no_proxies_on", "")
		var names []string
		for _, m := range opt.HostMap {
			if m.Host != "*" {
				names = append(names, m.Host)
			}
		}
		if len(names) > 0 {
			// Names resolve to loopback too, should anything look them up.
			p.set("network.dns.localDomains", strings.Join(names, ","))
		}
	}
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(p.String()), 0o600); err != nil {
		return fmt.Errorf("writing the profile's prefs: %w", err)
	}
	return nil
}

// lnaPrefs places the lab's twins in their Local Network Access address
// spaces. Firefox takes a document's space and a request's target space
// from the address (IP:port) it connected to, with these overrides;
// Firefox's "private" is the Local Network Access draft's "local". (Its
// prompt timer, network.lna.prompt.timeout, never starts headless: the
// privileged lnaPrompts handler answers for the user instead.)
func lnaPrefs(p *prefs, opt engine.LaunchOptions) {
	if len(opt.LocalAddresses) > 0 {
		p.set("network.lna.address_space.private.override", strings.Join(opt.LocalAddresses, ","))
	}
	if len(opt.PublicAddresses) > 0 {
		p.set("network.lna.address_space.public.override", strings.Join(opt.PublicAddresses, ","))
	}
}

// prefs is a user.js in the making.
type prefs struct{ b strings.Builder }

func (p *prefs) set(name string, v any) {
	var lit string
	switch v := v.(type) {
	case bool:
		lit = strconv.FormatBool(v)
	case int:
		lit = strconv.Itoa(v)
	case string:
		lit = strconv.Quote(v)
	}
	fmt.Fprintf(&p.b, "user_pref(%q, %s);\n", name, lit)
}

func (p *prefs) String() string { return p.b.String() }
