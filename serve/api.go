package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/corslab/corslab/fetchspec"
	"github.com/corslab/corslab/harness"
	"github.com/corslab/corslab/report"
	"github.com/corslab/corslab/scenarios"
	"github.com/corslab/corslab/servers"
)

// maxBody bounds a scenario file sent to the API, as the CLI bounds files.
const maxBody = 1 << 20

// visitTTL is how long an unfinished visit keeps its path on bar.
const visitTTL = 5 * time.Minute

// api routes /api/*.
func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/api/")
	switch {
	case p == "catalog" && r.Method == http.MethodGet:
		s.catalog(w)
	case p == "run" && r.Method == http.MethodPost:
		s.runHeadless(w, r)
	case p == "predict" && r.Method == http.MethodPost:
		s.predict(w, r)
	case p == "parse" && r.Method == http.MethodPost:
		s.parse(w, r)
	case p == "yaml" && r.Method == http.MethodPost:
		s.toYAML(w, r)
	case p == "visit" && r.Method == http.MethodPost:
		s.beginVisit(w, r)
	case strings.HasPrefix(p, "visit/"):
		s.visitCall(w, r, strings.TrimPrefix(p, "visit/"))
	default:
		http.Error(w, fmt.Sprintf("corslab serve: no API %s %s (see the README: GET /api/catalog, POST /api/run)", r.Method, r.URL.Path), http.StatusNotFound)
	}
}

// catalog answers the same document as `corslab list --format json`.
func (s *Server) catalog(w http.ResponseWriter) {
	all, err := scenarios.Catalog()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, map[string]any{"scenarios": all})
}

// readScenarios reads a scenario file from the request body: YAML, or the
// same document as JSON (JSON is YAML). Errors read as the CLI's, with
// "request body" for the file name.
func readScenarios(r *http.Request) ([]scenarios.Scenario, error) {
	switch ct := strings.TrimSpace(strings.SplitN(r.Header.Get("Content-Type"), ";", 2)[0]); ct {
	case "application/yaml", "application/x-yaml", "text/yaml", "application/json", "":
	default:
		return nil, fmt.Errorf("Content-Type %q: send the scenario file as application/yaml or application/json", ct)
	}
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("request body: %v (at most %d bytes)", err, maxBody)
	}
	return scenarios.Parse("request body", data)
}

// runHeadless runs the posted scenarios in the headless engine and answers
// the same JSON as `corslab run --format json`; with format=html the HTML
// report, with format=page both ({"run": …, "html": …}) for the page.
func (s *Server) runHeadless(w http.ResponseWriter, r *http.Request) {
	if e := r.URL.Query().Get("engine"); e != "" && e != "chromium" {
		http.Error(w, fmt.Sprintf("engine %q is not available in the playground (available: chromium)", e), http.StatusBadRequest)
		return
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "html" && format != "page" {
		http.Error(w, fmt.Sprintf("format %q: want json, html or page", format), http.StatusBadRequest)
		return
	}
	list, err := readScenarios(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for _, sc := range list {
		if err := runnable(sc); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	s.run.Lock()
	defer s.run.Unlock()
	start := time.Now()
	ctx := r.Context()
	var results []harness.Result
	var outside []*report.Outside
	for _, sc := range list {
		res := s.sess.Run(ctx, sc)
		results = append(results, res)
		var out *report.Outside
		if format != "" && format != "json" && res.Verdict != harness.Error {
			out = report.Replay(ctx, s.sess.Lab, sc, 5*time.Second)
		}
		outside = append(outside, out)
	}
	run := s.reportRun(results, time.Since(start))
	switch format {
	case "html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		report.HTML(w, run, report.HTMLOptions{Outside: outside})
	case "page":
		writeRunAndCard(w, run, outside)
	default:
		w.Header().Set("Content-Type", "application/json")
		report.JSON(w, run)
	}
}

// writeRunAndCard answers a run as the page draws it: the JSON document
// and the HTML report.
func writeRunAndCard(w http.ResponseWriter, run report.Run, outside []*report.Outside) {
	var js, html bytes.Buffer
	if err := report.JSON(&js, run); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if err := report.HTML(&html, run, report.HTMLOptions{Outside: outside}); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, map[string]any{"run": json.RawMessage(js.Bytes()), "html": html.String()})
}

// parse answers the posted file's scenarios as JSON, for the form.
func (s *Server) parse(w http.ResponseWriter, r *http.Request) {
	list, err := readScenarios(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	for i := range list {
		// Where it was read from is not part of the document.
		list[i].Source = ""
	}
	writeJSON(w, map[string]any{"scenarios": list})
}

// runnable refuses what the playground's session cannot run: pages on full
// origins need the host mappings a session gets when it starts.
func runnable(sc scenarios.Scenario) error {
	for i, st := range sc.RequestSteps() {
		if strings.Contains(st.Page, "://") {
			return fmt.Errorf("%s: step %d: page %s: the playground runs pages on lab labels (foo, evil, sandboxed); run full origins with `corslab run --file`", sc.Source, i+1, st.Page)
		}
	}
	return nil
}

func (s *Server) reportRun(results []harness.Result, elapsed time.Duration) report.Run {
	lab := s.sess.Lab
	return report.Run{
		Browser: s.sess.Browser.Version(),
		Origins: map[string]string{"foo": lab.Origin("foo"), "bar": lab.Origin("bar"), "baz": lab.Origin("baz")},
		Results: results,
		Elapsed: elapsed,
	}
}

// modelStep is the Fetch standard's prediction for one step, with its trace.
type modelStep struct {
	Predicted *fetchspec.StepPrediction `json:"predicted"`
	Trace     []fetchspec.Step          `json:"trace"`
}

func (s *Server) model(sc scenarios.Scenario, prefix string) []modelStep {
	env := fetchspec.Env{Origins: s.sess.Lab, Prefix: prefix, MaxAgeCap: fetchspec.ChromiumMaxAgeCap}
	var out []modelStep
	for _, p := range fetchspec.Predict(sc, env) {
		out = append(out, modelStep{Predicted: &p, Trace: p.Trace})
	}
	return out
}

// predict answers what the Fetch standard does with each posted scenario.
func (s *Server) predict(w http.ResponseWriter, r *http.Request) {
	list, err := readScenarios(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	type doc struct {
		Name  string      `json:"name"`
		Steps []modelStep `json:"steps"`
	}
	var out []doc
	for _, sc := range list {
		out = append(out, doc{Name: sc.Name, Steps: s.model(sc, "")})
	}
	writeJSON(w, map[string]any{"scenarios": out})
}

// toYAML answers the posted scenarios as a file `corslab run --file` runs.
func (s *Server) toYAML(w http.ResponseWriter, r *http.Request) {
	list, err := readScenarios(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	b, err := scenarios.Marshal(list)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+list[0].Name+`.yaml"`)
	w.Write(b)
}

// visit is a scenario running in the visitor's own browser.
type visit struct {
	*harness.Visit
	started time.Time
	done    chan struct{}
	once    bool
}

func (v *visit) end() {
	if !v.once {
		v.once = true
		close(v.done)
		v.Visit.End()
	}
}

// beginVisit registers one posted scenario for the visitor's browser and
// answers what its page must run.
func (s *Server) beginVisit(w http.ResponseWriter, r *http.Request) {
	list, err := readScenarios(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if len(list) != 1 {
		http.Error(w, fmt.Sprintf("request body: %d scenarios: your browser runs one at a time", len(list)), http.StatusBadRequest)
		return
	}
	hv, err := s.sess.BeginVisit(list[0])
	if err != nil {
		http.Error(w, fmt.Sprintf("%s: %v", list[0].Source, err), http.StatusBadRequest)
		return
	}
	v := &visit{Visit: hv, started: time.Now(), done: make(chan struct{})}
	s.mu.Lock()
	for id, old := range s.visits {
		if time.Since(old.started) > visitTTL {
			old.end()
			delete(s.visits, id)
		}
	}
	s.seq++
	id := strconv.Itoa(s.seq)
	s.visits[id] = v
	s.mu.Unlock()
	writeJSON(w, map[string]any{
		"id": id, "name": list[0].Name, "prefix": hv.Prefix, "function": hv.Function, "steps": hv.Steps,
		"unobservable": harness.Unobservable(), "model": s.model(list[0], hv.Prefix),
	})
}

// visitCall answers visit/ID/{begin,finish,journal,end}.
func (s *Server) visitCall(w http.ResponseWriter, r *http.Request, rest string) {
	id, op, _ := strings.Cut(rest, "/")
	s.mu.Lock()
	v, ok := s.visits[id]
	s.mu.Unlock()
	if !ok {
		http.Error(w, fmt.Sprintf("visit %s: %v (it ended, or the playground restarted)", id, errNotFound), http.StatusNotFound)
		return
	}
	step, _ := strconv.Atoi(r.URL.Query().Get("step"))
	switch {
	case op == "begin" && r.Method == http.MethodPost:
		if err := v.Begin(step); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case op == "finish" && r.Method == http.MethodPost:
		body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sr, err := v.Finish(step, body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, sr)
	case op == "journal" && r.Method == http.MethodGet:
		s.journal(w, r, v)
	case op == "end" && r.Method == http.MethodPost:
		s.endVisit(w, id, v)
	default:
		http.Error(w, fmt.Sprintf("corslab serve: no API %s %s", r.Method, r.URL.Path), http.StatusNotFound)
	}
}

// journal streams what bar receives under the visit's path, as
// server-sent events, until the visit ends.
func (s *Server) journal(w http.ResponseWriter, r *http.Request, v *visit) {
	f, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	f.Flush()
	sent := 0
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	limit := time.After(visitTTL)
	for {
		entries := s.sess.Lab.Journal(v.Prefix)
		for _, e := range entries[min(sent, len(entries)):] {
			writeEvent(w, "entry", e)
		}
		if len(entries) > sent {
			sent = len(entries)
			f.Flush()
		}
		select {
		case <-tick.C:
		case <-v.done:
			fmt.Fprint(w, "event: end\ndata: {}\n\n")
			f.Flush()
			return
		case <-limit:
			return
		case <-r.Context().Done():
			return
		}
	}
}

func writeEvent(w io.Writer, event string, e servers.Entry) {
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
}

// endVisit judges the visit, forgets its path and answers the result as
// `run --format json` would give it, and the HTML report's card for it.
func (s *Server) endVisit(w http.ResponseWriter, id string, v *visit) {
	res := v.Result()
	s.mu.Lock()
	v.end()
	delete(s.visits, id)
	s.mu.Unlock()
	run := s.reportRun([]harness.Result{res}, time.Since(v.started))
	run.Browser = "your browser"
	writeRunAndCard(w, run, nil)
}

func writeJSON(w http.ResponseWriter, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		http.Error(w, errors.Join(errors.New("encoding the answer"), err).Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b.Bytes())
}
