// Package report renders a run: the live progress line, the end-of-test
// summary in k6's shape, and a self-contained HTML page whose charts are
// drawn by inline JavaScript (no CDN, it opens offline).
package report
