package middleware

import (
	"net/http"
	"strconv"
	"unicode/utf8"
)

// What a log line or an error message copies from a request is bounded, so
// that one request cannot write a megabyte of log.
const (
	MaxLoggedMethod = 32  // bytes of the method
	MaxLoggedURL    = 512 // bytes of the URL
)

// Clip returns s when it is at most max bytes long, else its first max bytes
// (cut at a character boundary) followed by a marker saying how many bytes
// were left out: "…[+524288 bytes]".
func Clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…[+" + strconv.Itoa(len(s)-cut) + " bytes]"
}

// methodLabel is the method as a metric label: one of the methods HTTP
// defines, or OTHER, so that made-up methods cannot add series.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "OTHER"
}
