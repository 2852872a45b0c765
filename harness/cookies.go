package harness

import (
	"context"
	"fmt"
	"strings"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/scenarios"
)

// usesCookies says whether a scenario needs the jar prepared and read:
// cookies of its own, a third-party cookie setting, or a step that sends
// credentials or expects cookies.
func usesCookies(sc scenarios.Scenario) bool {
	if len(sc.Cookies) > 0 || sc.ThirdPartyCookies != "" {
		return true
	}
	for _, st := range sc.RequestSteps() {
		if st.Request.Credentials == "include" || st.Expect.CookiesSent != nil || st.Expect.CookieSet != nil {
			return true
		}
	}
	return false
}

// touchesJar says whether a scenario's run may read or change the cookie
// jar: it uses cookies (usesCookies), or the Fetch model says one of its
// requests includes credentials (HTTP-network-or-cache fetch step 8.3), so
// it would send what another scenario put in the jar and store what its
// answers set. The prediction is the model's, not the engine's: a browser
// that includes credentials where the standard does not is caught by the
// model verdict, not here.
func touchesJar(sc scenarios.Scenario) bool {
	if usesCookies(sc) {
		return true
	}
	// Whether a request includes credentials does not depend on the
	// ports, so the lab need not be started to ask.
	env := fetchspec.Env{Origins: fetchspec.LabOrigins{Foo: 41001, Bar: 41002, Baz: 41003}}
	for _, p := range fetchspec.Predict(sc, env) {
		for _, w := range p.Requests {
			if w.IncludeCredentials {
				return true
			}
		}
	}
	return false
}

// jarReachable fails for a scenario that must put cookies in the jar or
// read it when the engine cannot reach its jar (Capabilities.Cookies
// false, e.g. WebKit under WebDriver). A scenario that only sends
// credentials runs there without the jar: cookie_set and jar are then not
// observed, and cookies_sent still comes from the server's journal.
func (s *Session) jarReachable(sc scenarios.Scenario) error {
	if s.Browser.Capabilities().Cookies {
		return nil
	}
	if sc.NeedsJar() {
		return fmt.Errorf("the scenario needs the browser's cookie jar, which %s cannot reach: %w", s.eng.Name(), engine.ErrUnsupported)
	}
	return nil
}

// prepareCookies empties the jar and puts the scenario's cookies in it, for
// bar or the host each names, whatever the first step's target.
func (s *Session) prepareCookies(ctx context.Context, sc scenarios.Scenario, prefix string) error {
	steps := sc.RequestSteps()
	t, err := s.tabIn(ctx, steps[0].Page, sc.ThirdPartyCookies == "block")
	if err != nil {
		return err
	}
	if err := t.page.ClearCookies(ctx); err != nil {
		return err
	}
	for _, c := range sc.Cookies {
		if err := t.page.SetCookie(ctx, s.Lab.Origin(c.Label())+prefix+"/", c.SetCookie); err != nil {
			return err
		}
	}
	return nil
}

// clearJar empties the jar a scenario used, even when ctx has ended.
func (s *Session) clearJar(ctx context.Context, sc scenarios.Scenario) {
	if t, err := s.tabIn(ctx, sc.RequestSteps()[0].Page, sc.ThirdPartyCookies == "block"); err == nil {
		t.page.ClearCookies(context.WithoutCancel(ctx))
	}
}

// fillJar reads the jar after a step: its cookies for the request URL, and
// whether one appeared or changed since before.
func fillJar(ctx context.Context, o *Observation, jar engine.Jar, rawURL string, before []string) error {
	after, err := jar.Cookies(ctx, rawURL)
	if err != nil {
		return err
	}
	o.Jar = after
	old := map[string]bool{}
	for _, c := range before {
		old[c] = true
	}
	for _, c := range after {
		if !old[c] {
			o.CookieSet = true
		}
	}
	o.by("jar", SideBrowser)
	o.by("cookie_set", SideBrowser)
	return nil
}

// cookiesOf splits a Cookie request header into "name=value" items.
func cookiesOf(header string) []string {
	var out []string
	for _, c := range strings.Split(header, ";") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}
