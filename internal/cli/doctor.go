package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/splx-ai/splx-probe-action/internal/atomic"
	"github.com/splx-ai/splx-probe-action/internal/ci"
	"github.com/splx-ai/splx-probe-action/internal/config"
	"github.com/splx-ai/splx-probe-action/internal/deliver"
	"github.com/splx-ai/splx-probe-action/internal/escape"
	"github.com/splx-ai/splx-probe-action/internal/gate"
	"github.com/splx-ai/splx-probe-action/internal/probe"
	"github.com/splx-ai/splx-probe-action/internal/render"
)

// doctor checks the setup before the first paid run: the settings, the
// platform's output files, the proxy and CA in effect, the API host, the
// token (with the read-only models list) and, with test-run-id, that run.
// It never triggers, never cancels and writes no outputs. It exits with the
// code a real run would have for the first failure; an output file that
// cannot be written is a warning (!), as in a real run, and a report file
// that cannot be written a failure, as in a real run after it paid. Each
// network check gets one request-timeout, so a hanging proxy costs that,
// not five attempts.
type doctor struct {
	rep    ci.Reporter
	cfg    *config.Config
	ci     ci.Context
	env    map[string]string
	client *probe.Client
	// resolver and dial reach the network for the DNS checks (tests give
	// fakes that only ever reach 127.0.0.1).
	resolver Resolver
	dial     func(ctx context.Context, network, address string) (net.Conn, error)
	// first is the first failure that decides the exit code.
	first error
	// failed counts the failed checks; warned, the warnings.
	failed, warned int
	// interrupted reports whether the job was cancelled: a check cut by
	// the signal is not shown as failed.
	interrupted func() bool
	// lines are the checks shown, for the job summary.
	lines []string
}

// The marks of a check: passed, failed, not applicable.
const (
	markOK   = "✓"
	markFail = "✗"
	markWarn = "!"
	markSkip = "–"
)

func (d *doctor) line(mark, name, detail string) {
	d.lines = append(d.lines, mark+" "+name+": "+detail)
	d.rep.Info(mark + " " + name + ": " + detail)
}

// verdict shows the doctor's verdict, in the log and, with the checklist,
// in the job summary.
func (d *doctor) verdict(ok bool, msg string) {
	if ok {
		d.rep.Notice("SPLX Probe doctor", msg)
	} else {
		d.rep.Error("SPLX Probe doctor", msg)
	}
	d.rep.Summary(render.Checklist(msg, d.lines))
}

// warn shows a check that a real run would only warn about.
func (d *doctor) warn(name, detail string) {
	d.warned++
	d.line(markWarn, name, detail)
}

// fail shows a failed check with its fix and keeps the first failure.
func (d *doctor) fail(name string, err error, fix string) {
	if d.interrupted != nil && d.interrupted() {
		d.line(markSkip, name, "not checked: interrupted")
		return
	}
	d.line(markFail, name, strings.TrimRight(err.Error(), ".")+"; fix: "+fix)
	d.failed++
	if d.first == nil {
		d.first = err
	}
}

// settings shows the settings' check; cfgErr is Load's error.
func (d *doctor) settings(cfgErr error) bool {
	if cfgErr != nil {
		for _, e := range split(cfgErr) {
			d.line(markFail, "settings", e.Error())
			d.failed++
		}
		d.first = cfgErr
		return false
	}
	var set []string
	for _, s := range config.Settings() {
		if d.cfg.Set(s.Name) {
			set = append(set, s.Name)
		}
	}
	d.line(markOK, "settings", fmt.Sprintf("valid (%s given: %s)", gate.Plural(int64(len(set)), "setting"), strings.Join(set, ", ")))
	return true
}

// files checks, without writing anything, that the platform's output files
// can be written.
func (d *doctor) files() {
	d.line(markOK, "platform", d.ci.Label())
	files := d.ci.Platform.OutputFiles(ci.Options{Env: d.env, Setting: d.cfg.Value})
	if len(files) == 0 {
		d.line(markSkip, "output files", "none on this platform (the outputs are printed)")
	}
	for _, f := range files {
		if err := writable(f.Path, f.Created); err != nil {
			// A warning, not a failure: a real run only warns about it.
			d.warn(f.Name, fmt.Sprintf("%v; fix: %s; a real run warns and prints the outputs instead", err, f.Fix))
			continue
		}
		d.line(markOK, f.Name, "writable ("+f.Path+")")
	}
}

// reports checks, without leaving anything behind, that the report files
// asked for can be written: a real run that cannot write one exits 6 after
// the run was paid for.
func (d *doctor) reports() {
	asked := false
	var names []string
	for _, s := range config.Settings() {
		if !s.Report {
			continue
		}
		names = append(names, s.Name)
		path := d.cfg.Value(s.Name)
		if path == "" {
			continue
		}
		asked = true
		if err := replaceable(path); err != nil {
			d.fail(s.Name, &deliver.WriteError{What: deliver.FileName(s.Name), Path: path, Err: err}, "give a path in a folder the job may write to")
			continue
		}
		d.line(markOK, s.Name, "writable ("+path+")")
	}
	if !asked {
		d.line(markSkip, "report files", "none asked for ("+strings.Join(names, ", ")+")")
	}
}

// replaceable reports whether a real run could write path the way it
// does (a temporary file beside it, renamed over it; missing folders
// created), creating nothing but a temporary file it removes.
func replaceable(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return errors.New("it is a directory; give the path of a file")
	}
	dir := filepath.Dir(path)
	for {
		st, err := os.Stat(dir)
		if err == nil {
			if !st.IsDir() {
				return fmt.Errorf("cannot create the folder %s: not a directory", filepath.Dir(path))
			}
			break
		}
		if !os.IsNotExist(err) {
			return fmt.Errorf("cannot reach %s: %w", dir, atomic.Cause(err))
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return fmt.Errorf("cannot create the folder %s", filepath.Dir(path))
		}
		dir = parent
	}
	tmp, err := os.CreateTemp(dir, ".splx-probe-doctor-*")
	if err != nil {
		return fmt.Errorf("cannot create a file in %s: %w", dir, atomic.Cause(err))
	}
	tmp.Close()
	return os.Remove(tmp.Name())
}

// writable reports whether path could be appended to, without writing: an
// existing file opens for appending; a missing one may be created when
// create (its folder must take a new file), and is an error otherwise.
func writable(path string, create bool) error {
	if path == "" {
		return errors.New("not set")
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err == nil {
		return f.Close()
	}
	if !os.IsNotExist(err) || !create {
		return fmt.Errorf("cannot be written: %w", atomic.Cause(err))
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".splx-probe-doctor-*")
	if err != nil {
		return fmt.Errorf("its folder takes no new file: %w", atomic.Cause(err))
	}
	tmp.Close()
	return os.Remove(tmp.Name())
}

// network shows the proxy and CA in effect and resolves the API host
// (unless a proxy does).
func (d *doctor) network(ctx context.Context) bool {
	u := d.cfg.APIURL
	proxy, err := http.ProxyFromEnvironment(&http.Request{URL: u})
	switch {
	case err != nil:
		d.fail("proxy", err, "correct HTTPS_PROXY / HTTP_PROXY")
		return false
	case proxy != nil:
		d.line(markOK, "proxy", fmt.Sprintf("%s (from HTTPS_PROXY / HTTP_PROXY; NO_PROXY excludes hosts)", proxy.Redacted()))
	default:
		d.line(markOK, "proxy", "none (set HTTPS_PROXY for a corporate proxy)")
	}
	switch {
	case u.Scheme == "http":
		d.line(markSkip, "CA certificates", "not used (plain http to a loopback host)")
	case d.env["SSL_CERT_FILE"] != "":
		d.line(markOK, "CA certificates", "SSL_CERT_FILE="+d.env["SSL_CERT_FILE"])
	case d.env["SSL_CERT_DIR"] != "":
		d.line(markOK, "CA certificates", "SSL_CERT_DIR="+d.env["SSL_CERT_DIR"])
	default:
		d.line(markOK, "CA certificates", "the system trust store (SSL_CERT_FILE overrides it)")
	}
	if proxy != nil {
		d.line(markSkip, "DNS", "resolved by the proxy")
		return true
	}
	lctx, cancel := d.bounded(ctx)
	defer cancel()
	addrs, err := d.resolver.LookupHost(lctx, u.Hostname())
	if err != nil {
		fix := "check region and api-url, and the runner's DNS"
		if alt := d.otherUSHost(ctx, u.Hostname()); alt != "" {
			fix = "set api-url: " + alt
		}
		d.fail("DNS", fmt.Errorf("%s does not resolve: %w", u.Hostname(), err), fix)
		return false
	}
	d.line(markOK, "DNS", fmt.Sprintf("%s resolves (%s)", u.Hostname(), strings.Join(addrs, ", ")))
	return true
}

// usHosts are the two spellings of the US API host: the docs' (the
// default) and the vendor's CI templates'.
var usHosts = [2]string{"us.api.probe.splx.ai", "api.us.probe.splx.ai"}

// otherUSHost tries the other spelling of the US API host when host is one
// of them and does not resolve, and returns the api-url to set when the
// other one resolves and accepts a connection on 443 ("" otherwise).
func (d *doctor) otherUSHost(ctx context.Context, host string) string {
	var alt string
	switch {
	case strings.EqualFold(host, usHosts[0]):
		alt = usHosts[1]
	case strings.EqualFold(host, usHosts[1]):
		alt = usHosts[0]
	default:
		return ""
	}
	lctx, cancel := d.bounded(ctx)
	defer cancel()
	if _, err := d.resolver.LookupHost(lctx, alt); err != nil {
		d.line(markFail, "US host", fmt.Sprintf("the other spelling, %s, does not resolve either: %v", alt, err))
		return ""
	}
	conn, err := d.dial(lctx, "tcp", net.JoinHostPort(alt, "443"))
	if err != nil {
		d.line(markFail, "US host", fmt.Sprintf("the other spelling, %s, resolves but does not answer on port 443: %v", alt, err))
		return ""
	}
	conn.Close()
	d.line(markOK, "US host", fmt.Sprintf("the other spelling, %s, resolves and answers on port 443: set api-url: https://%s", alt, alt))
	return "https://" + alt
}

// token asks for the models list: an answer shows the host answers (over
// TLS with https), and a 200 or 403 that the token is accepted.
func (d *doctor) token(ctx context.Context) bool {
	tctx, cancel := d.bounded(ctx)
	defer cancel()
	n, err := d.client.BenchmarkModels(tctx)
	var er *probe.ErrorResponse
	over := "over TLS"
	if d.cfg.APIURL.Scheme == "http" {
		over = "over plain http (loopback)"
	}
	switch {
	case err == nil:
		d.line(markOK, "API", d.cfg.APIURL.Host+" answers "+over)
		d.line(markOK, "token", fmt.Sprintf("accepted (GET /api/v2/benchmarks/models: %s)", gate.Plural(int64(n), "model")))
		return true
	case !errors.As(err, &er):
		d.fail("API", err, "check api-url, the network, any proxy (HTTPS_PROXY) and custom CA certificates (SSL_CERT_FILE)")
		return false
	}
	d.line(markOK, "API", d.cfg.APIURL.Host+" answers "+over)
	switch er.StatusCode {
	case http.StatusForbidden:
		d.line(markOK, "token", "accepted (the models list is not allowed for this user: HTTP 403)")
		return true
	case http.StatusUnauthorized:
		d.fail("token", err, d.regionHint())
		return false
	}
	d.fail("token", err, "try again later; the API failed")
	return false
}

// regionHint says what a rejected token usually means: it expired, or it
// belongs to the other region's platform.
func (d *doctor) regionHint() string {
	expired := "tokens expire: create a new Personal Access Token in the SPLX Probe web UI (" + d.cfg.UIURL + ")"
	switch {
	case d.cfg.Set("api-url"):
		return expired + "; and check that api-url is the API of the platform the token comes from"
	case d.cfg.Region == "us":
		return expired + "; a token from probe.splx.ai is likely not valid on the US API (us.api.probe.splx.ai): if your account is on the EU platform, set region: eu"
	}
	return expired + "; a token from us.probe.splx.ai is likely not valid on the EU API (api.probe.splx.ai): if your account is on the US platform, set region: us"
}

// testRun reads the run given with test-run-id.
func (d *doctor) testRun(ctx context.Context) {
	if !d.cfg.Attach() {
		d.line(markSkip, "test run", "none given (test-run-id)")
		return
	}
	sctx, cancel := d.bounded(ctx)
	defer cancel()
	st, err := d.client.TestRunStatus(sctx, int32(d.cfg.TestRunID))
	if err != nil {
		d.fail("test run", err, "check test-run-id against the SPLX Probe web UI")
		return
	}
	d.line(markOK, "test run", fmt.Sprintf("%d is readable (status %s, %s)", d.cfg.TestRunID, st.Status, gate.Plural(int64(len(st.ProbeRuns)), "probe run")))
	d.answerShape(st)
}

// maxShownProbeRuns caps the probe runs the doctor lists one by one.
const maxShownProbeRuns = 20

// answerShape shows what the run's status answer looks like, to answer the
// questions the docs leave open: the status word, the probe runs' ids and
// names, which count fields came, and whether probe-ids match. Names are
// untrusted text; the reporter escapes each line.
func (d *doctor) answerShape(st *probe.TestRunStatus) {
	d.line(markOK, "answer shape", st.Shape.String())
	word := `"` + escape.Line(st.Status, 40) + `"`
	if probe.PhaseOf(st.Status) == probe.PhaseRunning && !strings.EqualFold(st.Status, "RUNNING") && !strings.EqualFold(st.Status, "PENDING") {
		word += " (not a documented word: a wait reads it as still running)"
	}
	d.line(markOK, "status word", word)
	var runs []string
	for i, pr := range st.ProbeRuns {
		if i == maxShownProbeRuns {
			runs = append(runs, fmt.Sprintf("and %d more", len(st.ProbeRuns)-i))
			break
		}
		id := "null"
		if pr.ProbeID != 0 {
			id = strconv.FormatInt(pr.ProbeID, 10)
		}
		runs = append(runs, fmt.Sprintf("probe run %d: probe id %s, \"%s\"", pr.ProbeRunID, id, escape.Line(pr.ProbeName, 60)))
	}
	if len(runs) == 0 {
		runs = []string{"none"}
	}
	d.line(markOK, "probe runs", strings.Join(runs, "; "))
	var counts []string
	for _, name := range []string{"totalCount", "passedCount", "failedCount", "errorCount", "processedCount"} {
		f, ok := st.Shape.ProbeRunField(name)
		switch {
		case !ok:
			counts = append(counts, name+" absent")
		case f.Count < st.Shape.ProbeRuns:
			counts = append(counts, fmt.Sprintf("%s in %d of %d", name, f.Count, st.Shape.ProbeRuns))
		default:
			counts = append(counts, name)
		}
	}
	d.line(markOK, "count fields", strings.Join(counts, ", "))
	if len(d.cfg.ProbeIDs) == 0 {
		d.line(markSkip, "probe-ids", "not set: nothing to match")
		return
	}
	probes := gate.Summarise(st, gate.Thresholds{}, "").Probes
	m := gate.MapProbes(d.cfg.ProbeIDs, probes)
	ids := gate.JoinIDs(d.cfg.ProbeIDs)
	switch {
	case len(m.Missing) == 0:
		d.line(markOK, "probe-ids", fmt.Sprintf("%s all match the probe runs' probe ids", ids))
	case len(m.Matched) > 0:
		d.warn("probe-ids", fmt.Sprintf("%s: only %s match the probe runs' probe ids (%s); a run would have no verdict", ids, gate.JoinIDs(m.Matched), m.RunIDs()))
	case len(probes) >= len(d.cfg.ProbeIDs):
		d.line(markSkip, "probe-ids", fmt.Sprintf("%s match none of the probe runs' probe ids (%s): a run is judged by counting probe runs, with a warning", ids, m.RunIDs()))
	default:
		d.warn("probe-ids", fmt.Sprintf("%s match none of the probe runs' probe ids (%s), and there are fewer probe runs than probe-ids; a run would have no verdict", ids, m.RunIDs()))
	}
}

// bounded is the context of one network check: one request-timeout, so
// that a hanging proxy or host is not retried five times.
func (d *doctor) bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, time.Duration(d.cfg.RequestTimeout))
}

// run performs the checks in order, stopping at the first that makes the
// next ones meaningless, and returns the exit code of the first failure.
// Its verdict never contradicts the lines above it.
func (d *doctor) run(ctx context.Context, cfgErr error) ExitCode {
	d.rep.Info("SPLX Probe doctor: checks the setup; triggers nothing, cancels nothing, writes no outputs.")
	d.interrupted = func() bool { return ctx.Err() != nil }
	if d.settings(cfgErr) {
		d.files()
		d.reports()
		if d.network(ctx) && d.token(ctx) {
			d.testRun(ctx)
		}
	}
	if ctx.Err() != nil {
		// A check cut by the signal blamed the network: it is not its fault.
		err := &InterruptedError{Msg: "the doctor was interrupted before its checks ended"}
		d.rep.Error("Interrupted", err.Error())
		return exitCode(err)
	}
	switch {
	case d.first == nil && d.warned == 0:
		d.verdict(true, "all checks passed: the setup is ready for a test run")
		return ExitOK
	case d.first == nil:
		d.verdict(true, fmt.Sprintf("no check failed, with %s (! above): the setup is ready for a test run", gate.Plural(int64(d.warned), "warning")))
		return ExitOK
	}
	code := exitCode(d.first)
	d.verdict(false, fmt.Sprintf("%s failed (exit %d, as a real run would); fix the first: %s", gate.Plural(int64(d.failed), "check"), code, split(d.first)[0]))
	return code
}
