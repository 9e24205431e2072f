// Package browser opens tailgate's HTML reports in headless Chromium: it
// checks that a page renders without console errors or network loads and
// that every chart drew data, and takes screenshots. It drives the Chromium
// command line (--dump-dom, --screenshot), so it needs no library beyond
// the browser itself.
package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// EnvChromium names the Chromium binary to use; otherwise the first of
// chromium, chromium-browser, google-chrome on PATH.
const EnvChromium = "TAILGATE_CHROMIUM"

// Find returns the path of a Chromium binary, or an error saying how to install one.
func Find() (string, error) {
	if p := os.Getenv(EnvChromium); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found: install Debian's chromium package (apt-get install -y chromium) or set " + EnvChromium)
}

// Chart is what the browser drew for one chart.
type Chart struct {
	// ID is the chart's element id, e.g. "over-time-time_to_first_token".
	ID string `json:"id"`
	// Series counts the chart's line series with at least one point drawn.
	Series int `json:"series"`
	// Points counts the data points of every line series.
	Points int `json:"points"`
	// Bars counts drawn bars.
	Bars int `json:"bars"`
	// Width and Height are the rendered size of the chart's drawn data, in CSS pixels.
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// Drew reports whether the chart put data on screen.
func (c Chart) Drew() bool { return (c.Points > 0 || c.Bars > 0) && (c.Width > 0 || c.Height > 0) }

// Result is what a page did in the browser.
type Result struct {
	// Charts lists every svg.chart of the page.
	Charts []Chart `json:"charts"`
	// Errors holds script errors, console errors, blocked or failed loads.
	Errors []string `json:"errors"`
	// Resources lists every resource the page fetched (a self-contained page fetches none).
	Resources []string `json:"resources"`
	// Title is the page's title.
	Title string `json:"title"`
}

// probeHead is injected first into a copy of the page: it records errors,
// console errors and policy violations from the start of parsing.
const probeHead = `<script>window.__tg={errors:[]};
addEventListener('error',function(e){var t=e.target;window.__tg.errors.push(t&&t!==window?'failed to load '+(t.src||t.href||t.tagName):'script error: '+e.message)},true);
addEventListener('securitypolicyviolation',function(e){window.__tg.errors.push('blocked by the page policy: '+e.blockedURI+' ('+e.violatedDirective+')')});
(function(){var ce=console.error;console.error=function(){window.__tg.errors.push('console.error: '+Array.prototype.join.call(arguments,' '));ce.apply(console,arguments)}})();
</script>`

// probeTail runs after load and writes its findings into the DOM.
const probeTail = `<script>addEventListener('load',function(){
var out={title:document.title,errors:window.__tg.errors,resources:performance.getEntriesByType('resource').map(function(r){return r.name}),charts:[]};
document.querySelectorAll('svg.chart').forEach(function(s){var c={id:s.id,series:0,points:0,bars:0,width:0,height:0};
var x0=1e9,y0=1e9,x1=-1e9,y1=-1e9;function grow(el){var b=el.getBoundingClientRect();if(b.width+b.height>0){x0=Math.min(x0,b.left);y0=Math.min(y0,b.top);x1=Math.max(x1,b.right);y1=Math.max(y1,b.bottom)}}
s.querySelectorAll('path.series').forEach(function(p){var n=+p.getAttribute('data-points');if(n>0){c.series++;c.points+=n;grow(p)}});
s.querySelectorAll('rect.bar').forEach(function(r){c.bars++;grow(r)});
if(x1>x0){c.width=x1-x0;c.height=y1-y0}out.charts.push(c)});
var pre=document.createElement('pre');pre.id='tailgate-probe';pre.textContent=JSON.stringify(out);document.body.appendChild(pre)});
</script>`

var probeRE = regexp.MustCompile(`(?s)<pre id="tailgate-probe">(.*?)</pre>`)

// Check opens the page at path in headless Chromium (from a copy with a
// probe script added; the page itself runs none) and reports what it drew.
func Check(ctx context.Context, path string) (*Result, error) {
	page, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("browser check: %w", err)
	}
	tmp, err := os.MkdirTemp("", "tailgate-browser-")
	if err != nil {
		return nil, fmt.Errorf("browser check: %w", err)
	}
	defer os.RemoveAll(tmp)
	probed := filepath.Join(tmp, "page.html")
	if err := os.WriteFile(probed, injectProbe(page), 0o644); err != nil {
		return nil, fmt.Errorf("browser check: %w", err)
	}
	out, logs, err := run(ctx, tmp, "--dump-dom", "--virtual-time-budget=5000", fileURL(probed))
	if err != nil {
		return nil, err
	}
	m := probeRE.FindSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("browser check: the page's probe did not report (did the page load?); chromium said: %s", tail(logs))
	}
	var res Result
	if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &res); err != nil {
		return nil, fmt.Errorf("browser check: reading the probe's report: %w", err)
	}
	res.Errors = append(res.Errors, consoleErrors(logs)...)
	return &res, nil
}

// injectProbe adds the probe scripts and lets them run under the page's
// content security policy (which otherwise forbids every script).
func injectProbe(page []byte) []byte {
	s := string(page)
	s = strings.Replace(s, "default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';", 1)
	if i := strings.Index(s, "<head>"); i >= 0 {
		s = s[:i+6] + probeHead + s[i+6:]
	} else {
		s = probeHead + s
	}
	if i := strings.LastIndex(s, "</body>"); i >= 0 {
		return []byte(s[:i] + probeTail + s[i:])
	}
	return []byte(s + probeTail)
}

// Screenshot renders the page at path into a PNG of the given viewport size.
func Screenshot(ctx context.Context, path, png string, width, height int) error {
	abs, err := filepath.Abs(png)
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	tmp, err := os.MkdirTemp("", "tailgate-browser-")
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	defer os.RemoveAll(tmp)
	_, logs, err := run(ctx, tmp, "--screenshot="+abs, fmt.Sprintf("--window-size=%d,%d", width, height),
		"--hide-scrollbars", "--virtual-time-budget=3000", fileURL(path))
	if err != nil {
		return err
	}
	if st, err := os.Stat(abs); err != nil || st.Size() == 0 {
		return fmt.Errorf("screenshot: chromium wrote no %s; it said: %s", png, tail(logs))
	}
	return nil
}

func fileURL(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return "file://" + abs
}

// run starts headless Chromium with its own profile directory under dir and
// returns its stdout and stderr.
func run(ctx context.Context, dir string, args ...string) (stdout, stderr []byte, err error) {
	bin, err := Find()
	if err != nil {
		return nil, nil, err
	}
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
		"--disable-extensions", "--disable-background-networking", "--disable-sync", "--mute-audio",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--enable-logging=stderr", "--v=0",
	}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "HOME="+dir)
	if err := cmd.Run(); err != nil {
		return nil, nil, fmt.Errorf("chromium: %w: %s", err, tail(errb.Bytes()))
	}
	return out.Bytes(), errb.Bytes(), nil
}

// consoleRE matches Chromium's log line for a page console message at error level.
var consoleRE = regexp.MustCompile(`(?m)^\[[^\]]*:(?:ERROR|WARNING):CONSOLE[^\]]*\] (.*)$`)

func consoleErrors(logs []byte) []string {
	var out []string
	for _, m := range consoleRE.FindAllSubmatch(logs, -1) {
		out = append(out, "console: "+string(m[1]))
	}
	return out
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 600 {
		s = "…" + s[len(s)-600:]
	}
	return s
}
