package report

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// chromium returns the path of Debian's headless-capable Chromium. Without
// it the test skips on a workstation but fails in CI, which must have it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "" {
		t.Skip("chromium is not installed (apt-get install -y chromium) and CI is not set; CI runs this test")
	}
	t.Fatal("chromium is not installed; CI needs it to check the HTML report renders")
	return ""
}

func headless(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--window-size=1280,1100", "--hide-scrollbars"}
	out, err := exec.CommandContext(ctx, bin, append(base, args...)...).Output()
	if err != nil {
		t.Fatalf("chromium %v: %v", args, err)
	}
	return out
}

func TestHTMLChartsRenderInChromium(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := HTML(f, practicalSummary()); err != nil {
		t.Fatal(err)
	}
	f.Close()

	// The page records, per chart, the points it holds: each of the
	// client's charts one a point of the series, drawn without a script
	// error, and the end's tables.
	s := practicalSummary()
	dom := string(headless(t, bin, "--dump-dom", "file://"+page))
	if !strings.Contains(dom, `data-done="true"`) || !strings.Contains(dom, fmt.Sprintf(`data-drawn="%d"`, len(s.Series))) {
		t.Errorf("the page did not draw the run's %d points and its end", len(s.Series))
	}
	for _, id := range []string{"vus", "rps", "p50", "p95", "p99", "kinds", "dropped"} {
		if want := fmt.Sprintf(`data-chart="%s" data-points="%d" data-series="1"`, id, len(s.Series)); !strings.Contains(dom, want) {
			t.Errorf("chart %s: want %s in the page", id, want)
		}
	}
	if !strings.Contains(dom, `<tr><th>checks&gt;0.99</th><td class="fail">✗ crossed</td><td>50.00%</td></tr>`) {
		t.Error("the thresholds table lacks checks>0.99 crossed at 50.00%")
	}

	// And the screenshot shows the series: pixels in the lines' colours.
	shot := filepath.Join(dir, "report.png")
	headless(t, bin, "--screenshot="+shot, "file://"+page)
	img := decodePNG(t, shot)
	if n := countColour(img, 0x34, 0x61, 0xc1); n < 50 {
		t.Errorf("blue (the first series of each chart): %d pixels in the screenshot, want at least 50", n)
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return img
}

// countColour counts pixels within a small distance of the colour (lines
// are anti-aliased).
func countColour(img image.Image, r, g, b uint8) int {
	near := func(a uint32, want uint8) bool {
		d := int(a>>8) - int(want)
		return d > -24 && d < 24
	}
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if near(pr, r) && near(pg, g) && near(pb, b) {
				n++
			}
		}
	}
	return n
}

// scripts/screenshot-report.sh shoots the whole page, however tall, not a
// fixed height: the last lines of a long report are in the picture.
func TestScreenshotScriptCapturesTheWholePage(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	s := practicalSummary()
	for i := range 80 { // a table row per request name: a page far taller than a window
		s.Requests[fmt.Sprintf("GET /api/v1/todos/%02d", i)] = s.Requests["GET /api/v1/todos"]
	}
	page := filepath.Join(dir, "report.html")
	f, err := os.Create(page)
	if err != nil {
		t.Fatal(err)
	}
	if err := HTML(f, s); err != nil {
		t.Fatal(err)
	}
	f.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	shot := filepath.Join(dir, "out.png")
	cmd := exec.CommandContext(ctx, "bash", "../../scripts/screenshot-report.sh", page, shot)
	cmd.Env = append(os.Environ(), "CHROMIUM="+bin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("screenshot-report.sh: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`\(1280x(\d+), the whole page\)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("the script does not say the size it shot:\n%s", out)
	}
	img := decodePNG(t, shot)
	b := img.Bounds()
	if got := strconv.Itoa(b.Dy()); got != string(m[1]) || b.Dy() <= 2200 {
		t.Fatalf("screenshot height: got %s, want the page's %s (more than the old fixed 1100 and 2200)", got, m[1])
	}
	// The page ends with the text summary: its last lines are drawn.
	dark := 0
	for y := b.Max.Y - 400; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 < 100 && g>>8 < 100 && bl>>8 < 100 {
				dark++
			}
		}
	}
	if dark < 100 {
		t.Errorf("the last 400 px of the screenshot hold %d dark pixels: the end of the page is not in it", dark)
	}
}
