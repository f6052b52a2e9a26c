# Thin aliases; .ci/run is the source of truth for CI.
.PHONY: run test lint ci
run:
	go run ./cmd/nmdc-runtime serve
test:
	go test -race ./...
lint:
	gofmt -l . && go vet ./...
ci:
	bash .ci/run
