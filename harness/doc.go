// Package harness runs scenarios in real browsers, engine-neutrally: it
// starts the lab's origins and a browser (an engine driver), runs each
// scenario's request in a page on the calling origin, assembles one
// observation from three sides (the page's result, the browser's report,
// bar's journal), says which side observed each fact, and compares it with
// the scenario's expectation.
package harness
