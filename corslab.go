// Package corslab checks CORS behaviour in a real headless Chromium from Go
// tests: start a Lab once per test suite, mount any http.Handler as bar (for
// example an application wrapped in a CORS middleware), make requests from a
// page on any origin, and assert what the browser did with Gomega matchers
// such as BeAllowed, BeBlockedWith and HaveSentPreflight.
package corslab
