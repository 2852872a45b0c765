# corslab: `make run` runs the built-in catalog in headless Chromium,
# `make test` runs the unit tests and the Ginkgo suite (on every installed
# engine). Both install Chromium from Debian's packages when it is missing;
# `make setup ENGINES=all` (or ENGINES=firefox, ENGINES=webkit) installs
# firefox-esr, and WebKit's webkit2gtk-driver with xvfb, too.
GO ?= go
ENGINES ?= chromium
export PATH := $(PATH):/usr/local/go/bin

.PHONY: all setup build run test bench vet clean

all: build

setup:
	@./scripts/ensure-chromium.sh
	@case ",$(ENGINES)," in *,all,*|*,firefox,*) ./scripts/ensure-firefox.sh ;; esac
	@case ",$(ENGINES)," in *,all,*|*,webkit,*) ./scripts/ensure-webkit.sh ;; esac

build:
	$(GO) build -o bin/corslab ./cmd/corslab

run: setup build
	./bin/corslab run

vet:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

test: setup vet
	$(GO) test -count=1 -timeout 25m ./...

bench: setup
	$(GO) test -run '^$$' -bench . -benchtime 5x ./...

clean:
	rm -rf bin
