# syntax=docker/dockerfile:1

# Build stage: runs on the builder's own platform and cross-compiles a static binary for the
# target platform (no emulation, so `docker build --platform linux/amd64` is fast on arm64 too).
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
# The CA bundle of Amazon RDS, which the app checks the database's certificate against
# (sslmode=verify-full&sslrootcert=/etc/ssl/certs/rds-global-bundle.pem in terraform/ecs.tf).
# Fetched when the image is built, from AWS's trust store; it is public and changes rarely, so
# this layer comes before the sources and stays cached.
RUN curl -fsSL --proto =https --retry 3 --create-dirs -o /out/rds-global-bundle.pem \
        https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem \
    && grep -q "BEGIN CERTIFICATE" /out/rds-global-bundle.pem \
    && chmod 444 /out/rds-global-bundle.pem
COPY . .
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/taskoverflow ./cmd/taskoverflow \
    && CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/loadtest ./cmd/loadtest

# The load generator's image: `docker build --target loadtest`. loadtest alone, as nonroot; the
# Kubernetes shard Job (loadtest k8s) and the ECS load-generator task (terraform/loadgen.tf)
# run it with `run SCENARIO ...` as their arguments.
FROM gcr.io/distroless/static-debian12:nonroot AS loadtest
COPY --from=build /out/loadtest /loadtest
USER nonroot:nonroot
ENTRYPOINT ["/loadtest"]
CMD ["list"]

# Final stage, the default target: the binary alone on distroless static (CA certificates, /etc/passwd, no shell),
# running as the unprivileged nonroot user (65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/taskoverflow /taskoverflow
COPY --from=build /out/rds-global-bundle.pem /etc/ssl/certs/rds-global-bundle.pem
USER nonroot:nonroot
ENV ADDR=:6400 \
    LOG_FORMAT=json
EXPOSE 6400
# No curl in the image: the binary checks its own /api/v1/health and exits 0 or 1.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/taskoverflow", "healthcheck"]
ENTRYPOINT ["/taskoverflow"]
CMD ["serve"]
