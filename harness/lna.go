package harness

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corslab/corslab/engine"
	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

// Local Network Access plumbing: the page on its address space, the target
// on its own, the permission set afresh for every step, and the connection
// journal read for "the browser connected, and sent nothing".

// LocalNetwork is what an observation says of Local Network Access.
type LocalNetwork struct {
	// PageSpace and PageSecure are the calling page's address space and
	// whether it is a secure context, as the browser reported them
	// (Chromium: clientSecurityState, from the sent request's
	// requestWillBeSentExtraInfo or, for a request never sent, the Audits
	// issue).
	PageSpace  string `json:"page_space,omitempty"`
	PageSecure *bool  `json:"page_secure,omitempty"`
	// TargetSpace is the target's address space as the browser reported it
	// (Chromium: resourceIPAddressSpace).
	TargetSpace string `json:"target_space,omitempty"`
	// Policy is the policy the browser says it applied (Chromium:
	// localNetworkAccessRequestPolicy, e.g. PermissionBlock).
	Policy string `json:"policy,omitempty"`
	// Permission is what corslab set before the step ("loopback-network=granted"),
	// and the browser's refusal when it refused it. It is the setup, not an
	// observation.
	Permission string `json:"permission,omitempty"`
	// Connections are the TCP connections the target's listener accepted
	// during the step, and how many of them carried no request.
	Connections      int `json:"connections,omitempty"`
	ConnectionsEmpty int `json:"connections_without_request,omitempty"`
}

// lnaStep says whether a step concerns Local Network Access: it sets an
// address space or a permission, or expects a connection.
func lnaStep(st scenarios.Step) bool {
	return !st.LocalNetwork.IsZero() || st.Expect.ServerConnected != nil
}

// lnaRequest says whether a step's request goes to a more private
// address space than its page's: a Local Network Access request, by the
// model (engine.Hint.LocalNetwork).
func lnaRequest(st scenarios.Step) bool {
	n := st.LocalNetwork.WithDefaults()
	return fetchspec.IsLocalNetworkRequest(n.AddressSpace, n.TargetSpace)
}

// pageLabel is the label of a step's page.
func pageLabel(st scenarios.Step) string {
	if st.Page == "" {
		return "foo"
	}
	return st.Page
}

// lnaTab returns the tab of a step whose page is not on loopback: a public
// page is the lab's page served with treat-as-public-address, a local one
// the page on foo's local twin.
func (s *Session) lnaTab(ctx context.Context, st scenarios.Step) (*tab, error) {
	label := pageLabel(st)
	space := st.LocalNetwork.WithDefaults().AddressSpace
	return s.tabOnce(ctx, space+"|"+label, func(ctx context.Context) (*tab, error) {
		return s.openLNATab(ctx, label, space)
	})
}

// openLNATab opens the page of a label in an address space other than
// loopback.
func (s *Session) openLNATab(ctx context.Context, label, space string) (*tab, error) {
	origin := s.lnaPageOrigin(label, space)
	spec := engine.PageSpec{URL: origin + "/", Function: pageFunc}
	if space == scenarios.SpacePublic && !s.Browser.Capabilities().PublicByAddress {
		spec.URL = origin + servers.PublicPagePath
	}
	if strings.Contains(label, "://") {
		spec.Origin = origin
	}
	t, err := s.openTab(ctx, s.Browser, label, spec)
	if err != nil {
		return nil, fmt.Errorf("opening the %s page: %w", space, err)
	}
	t.origin = origin
	return t, nil
}

// lnaPageOrigin is the origin of a label's page in an address space: on
// the label's local twin for local; for public, the lab's own origin
// (served with treat-as-public-address) or, on an engine that places a
// page by its address, the public twin (a full http origin keeps its host
// there, on the twin's port); the lab's own origin otherwise.
func (s *Session) lnaPageOrigin(label, space string) string {
	switch {
	case space == scenarios.SpaceLocal:
		return s.Lab.LocalOrigin(label)
	case space == scenarios.SpacePublic && s.Browser.Capabilities().PublicByAddress:
		if o := s.Lab.PublicTwinOrigin(label); o != "" {
			return o
		}
	}
	return s.Lab.Origin(label)
}

// lnaScenario says whether a scenario has a Local Network Access step.
func lnaScenario(sc scenarios.Scenario) bool {
	return slices.ContainsFunc(sc.RequestSteps(), lnaStep)
}

// lnaTarget moves the requests of a Local Network Access scenario off the
// lab listener they name: to the label's local twin when the step puts the
// target in the local address space, else to the loopback twin, so that
// the connections a step counts are its own (servers.LoopbackTwin).
func (s *Session) lnaTarget(sc scenarios.Scenario, st scenarios.Step, u string) string {
	if !lnaScenario(sc) {
		return u
	}
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	label := s.Lab.Label(p.Host)
	if label == "" || label == pageLabel(st) {
		// Not the lab's, or the page's own origin: moved, it would be
		// another origin.
		return u
	}
	origin := s.Lab.LoopbackTwinOrigin(label)
	if st.LocalNetwork.TargetSpace == scenarios.SpaceLocal {
		origin = s.Lab.LocalOrigin(label)
	}
	if origin == "" {
		return u
	}
	return origin + p.RequestURI()
}

// setPermissions sets both Local Network Access permissions for the page's
// origin before a step: the one the step names to its setting, the other
// to prompt, so no decision stored by an earlier scenario (headless Chromium
// stores its answer to a prompt as denied) decides this one. It returns what
// was set, with the browser's refusal if it refused.
func (s *Session) setPermissions(ctx context.Context, b engine.Browser, origin string, n scenarios.LocalNetwork) string {
	n = n.WithDefaults()
	if !b.Capabilities().Permissions {
		return "not set: the engine cannot set permissions"
	}
	want := scenarios.PermissionName(n.PermissionSpace)
	var out []string
	for _, name := range []string{"loopback-network", "local-network"} {
		setting := scenarios.PermissionPrompt
		if name == want {
			setting = n.Permission
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := b.SetPermission(pctx, engine.Permission{Name: name, Setting: setting, Origin: origin})
		cancel()
		if name != want {
			continue
		}
		item := name + "=" + setting
		if err != nil && setting != scenarios.PermissionPrompt {
			item += " (refused by the browser: " + err.Error() + ")"
		}
		out = append(out, item)
	}
	return strings.Join(out, ", ")
}

// resetPermissions puts both permissions back to prompt for the origins a
// scenario's steps ran on.
func (s *Session) resetPermissions(ctx context.Context, b engine.Browser, origins []string) {
	for _, o := range origins {
		for _, name := range []string{"loopback-network", "local-network"} {
			pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			b.SetPermission(pctx, engine.Permission{Name: name, Setting: scenarios.PermissionPrompt, Origin: o})
			cancel()
		}
	}
}

// targetListener names the lab's listener a URL goes to, "" for none.
func (s *Session) targetListener(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	port, err := strconv.Atoi(p.Port())
	if err != nil {
		return ""
	}
	return s.Lab.ListenerOf(port)
}

// connectionWait bounds how long the connection journal is given to show a
// connection the browser made: the listener accepts it in its own
// goroutine, which under load may run after the browser's report.
const connectionWait = 500 * time.Millisecond

// fillConnections records what the target's listener accepted since from.
func (s *Session) fillConnections(ctx context.Context, o *Observation, listener string, from time.Time) {
	conns := s.Lab.Connections(listener, from, time.Time{})
	for deadline := time.Now().Add(connectionWait); len(conns) == 0 && time.Now().Before(deadline) && ctx.Err() == nil; {
		time.Sleep(10 * time.Millisecond)
		conns = s.Lab.Connections(listener, from, time.Time{})
	}
	if o.LocalNetwork == nil {
		o.LocalNetwork = &LocalNetwork{}
	}
	o.LocalNetwork.Connections = len(conns)
	for _, c := range conns {
		if c.Requests == 0 {
			o.LocalNetwork.ConnectionsEmpty++
		}
	}
	o.ServerConnected = len(conns) > 0
	o.by("server_connected", SideServer)
	o.by("local_network.connections", SideServer)
}

// fillLocalNetwork takes the browser's account of the address spaces: the
// sent request's own, else the preflight's, else an issue's (Chromium
// reports a blocked request's only there). An issue's account of the
// spaces is a fact the browser reported; its verdict is never taken.
func fillLocalNetwork(o *Observation, v engine.View) {
	var got *engine.LocalNetwork
	merge := func(n *engine.LocalNetwork) {
		if n == nil {
			return
		}
		if got == nil {
			got = &engine.LocalNetwork{}
		}
		if got.ClientSpace == "" {
			got.ClientSpace = n.ClientSpace
		}
		if got.ClientSecure == nil {
			got.ClientSecure = n.ClientSecure
		}
		if got.TargetSpace == "" {
			got.TargetSpace = n.TargetSpace
		}
		if got.Policy == "" {
			got.Policy = n.Policy
		}
	}
	for _, r := range v.Requests {
		if !r.Preflight {
			merge(r.LocalNetwork)
		}
	}
	for _, r := range v.Requests {
		if r.Preflight {
			merge(r.LocalNetwork)
		}
	}
	for _, is := range v.Issues {
		merge(is.LocalNetwork)
	}
	if got == nil {
		return
	}
	if o.LocalNetwork == nil {
		o.LocalNetwork = &LocalNetwork{}
	}
	ln := o.LocalNetwork
	ln.PageSpace, ln.PageSecure, ln.TargetSpace, ln.Policy = got.ClientSpace, got.ClientSecure, got.TargetSpace, got.Policy
	for f, v := range map[string]bool{"page_space": ln.PageSpace != "", "page_secure": ln.PageSecure != nil,
		"target_space": ln.TargetSpace != "", "policy": ln.Policy != ""} {
		if v {
			o.by("local_network."+f, SideBrowser)
		}
	}
}

// resetLNA puts the Local Network Access permissions of the pages a
// scenario ran on back to prompt.
func (s *Session) resetLNA(ctx context.Context, sc scenarios.Scenario) {
	var origins []string
	for _, st := range sc.RequestSteps() {
		if !lnaStep(st) {
			continue
		}
		o := s.lnaPageOrigin(pageLabel(st), st.LocalNetwork.AddressSpace)
		if o != "null" && !slices.Contains(origins, o) {
			origins = append(origins, o)
		}
	}
	s.resetPermissions(ctx, s.Browser, origins)
}

// DoLocal is Do from a page placed in an address space with a permission
// (Local Network Access): the page is opened as a public or local site, the
// permission set for its origin, and reset afterwards.
func (s *Session) DoLocal(ctx context.Context, page string, req scenarios.Request, n scenarios.LocalNetwork) (*Observation, error) {
	prefix := s.Lab.Register("do", scenarios.Server{})
	defer s.Lab.Forget(prefix)
	if page == "" {
		page = "foo"
	}
	sc := scenarios.Scenario{Name: strings.TrimPrefix(prefix, "/r/"), Page: page, Request: req, LocalNetwork: n}
	st := scenarios.Step{Page: page, Request: req, LocalNetwork: n}
	if err := PublicPageReachable(s.eng.Name(), s.Browser.Capabilities(), sc); err != nil {
		return nil, err
	}
	// It sets the browser's permissions and counts connections: it takes
	// turns with the other Local Network Access steps (schedule.go).
	unlock, err := s.state.lock(ctx, []string{localNetworkAccess})
	if err != nil {
		return nil, fmt.Errorf("interrupted: %w", err)
	}
	defer unlock()
	defer s.resetLNA(ctx, sc)
	obs, err := s.runStep(ctx, prefix, sc, st, req.Credentials == "include")
	s.forgetEvents(prefix + "/")
	return obs, err
}

// stepTab is the tab a step runs in: on its address space for a Local
// Network Access step whose page is not on loopback, else the label's.
func (s *Session) stepTab(ctx context.Context, sc scenarios.Scenario, st scenarios.Step) (*tab, error) {
	if sp := st.LocalNetwork.AddressSpace; sp != "" && sp != scenarios.SpaceLoopback {
		return s.lnaTab(ctx, st)
	}
	return s.tabIn(ctx, st.Page, sc.ThirdPartyCookies == "block")
}

// lnaSetup is what beforeLNA did for a step.
type lnaSetup struct {
	on                   bool
	listener, permission string
	// request: the step is a Local Network Access request by the model's
	// reckoning of its address spaces (engine.Hint.LocalNetwork).
	request bool
}

// beforeLNA prepares a Local Network Access step: the permission for the
// page's origin, and no idle connection to the target left to reuse.
func (s *Session) beforeLNA(ctx context.Context, st scenarios.Step, pageOrigin, target string) lnaSetup {
	if !lnaStep(st) {
		return lnaSetup{}
	}
	l := lnaSetup{on: true, permission: s.setPermissions(ctx, s.Browser, pageOrigin, st.LocalNetwork), request: lnaRequest(st)}
	if l.listener = s.targetListener(target); l.listener != "" {
		s.Lab.CloseIdle(l.listener)
	}
	return l
}

// afterLNA adds to a Local Network Access step's observation the
// connections the target saw since start and the permission that was set.
func (s *Session) afterLNA(ctx context.Context, l lnaSetup, o *Observation, start time.Time) {
	if !l.on {
		return
	}
	if l.listener != "" {
		s.fillConnections(ctx, o, l.listener, start)
	}
	if o.LocalNetwork == nil {
		o.LocalNetwork = &LocalNetwork{}
	}
	o.LocalNetwork.Permission = l.permission
}

// PublicPageReachable fails for a scenario with a step on a public page or
// with a Local Network Access permission when the engine gates Local
// Network Access but the lab cannot open that public page or set the
// permission there (Capabilities.NoPublicPage says why): its page would
// stay on loopback and every verdict would be about another exchange. On
// an engine that places a page by its address (PublicByAddress) only a
// page on a full https origin is out of reach (the public twin serves
// http). Loopback and local pages run on
// every engine. Session.Unsupported asks it; it is the one place that
// decides which Local Network Access scenarios an engine runs.
func PublicPageReachable(eng string, caps engine.Capabilities, sc scenarios.Scenario) error {
	if caps.NoPublicPage == "" {
		return nil
	}
	for _, st := range sc.RequestSteps() {
		if st.LocalNetwork.AddressSpace != scenarios.SpacePublic && st.LocalNetwork.Permission == "" {
			continue
		}
		if caps.PublicByAddress && servers.PublicTwinServes(pageLabel(st)) {
			continue
		}
		return fmt.Errorf("the scenario needs a page in the public address space or a Local Network Access permission: %s: %w", caps.NoPublicPage, engine.ErrUnsupported)
	}
	return nil
}
