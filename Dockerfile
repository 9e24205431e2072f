# syntax=docker/dockerfile:1
# The tailgate image: the CLI (load engine, report tools) and the simulated vLLM
# (`tailgate mock-vllm`). A static binary on a small base that keeps /bin/sh, because the
# benchmark Job's command is a /bin/sh -c script that prints the report files to the log.
#
#   docker build -t tailgate:dev .
#   kind load docker-image tailgate:dev --name tailgate   (or TAILGATE_IMAGE + TAILGATE_LOAD_IMAGE=true)
#
# Without a Docker daemon, ko (github.com/ko-build/ko) can build the same Go binary into an
# OCI image (on a base with /bin/sh, e.g. alpine) and write a tarball for
# `kind load image-archive`; that path is not wired into CI here.

ARG GO_VERSION=1.26
FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/tailgate ./cmd/tailgate

FROM alpine:3.22
RUN apk add --no-cache ca-certificates \
 && addgroup -S -g 65532 tailgate \
 && adduser -S -D -H -u 65532 -G tailgate -h /tailgate tailgate \
 && mkdir -p /tailgate && chown 65532:65532 /tailgate
COPY --from=build /out/tailgate /usr/local/bin/tailgate
USER 65532:65532
WORKDIR /tailgate
# The simulated vLLM listens on 8000 like vLLM does.
EXPOSE 8000
ENTRYPOINT ["/usr/local/bin/tailgate"]
CMD ["--help"]
