.PHONY: run test bench

run:
	go run ./cmd/taskoverflow serve -backing-dir .data

test:
	go vet ./...
	go test -race ./...

bench:
	go test -run '^$$' -bench . -benchmem ./...
