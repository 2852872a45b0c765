package serve

import _ "embed"

// The page is self-contained: these files and nothing from the network.
var (
	//go:embed static/index.html
	indexHTML string
	//go:embed static/app.js
	appJS string
	//go:embed static/app.css
	appCSS string
	//go:embed static/frame.html
	frameHTML string
)
