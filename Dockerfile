# The splx-probe image: a GitHub Docker action, and a job image for GitLab CI
# and CircleCI (busybox gives them a shell; the binary is on PATH).
#
# Layers are ordered so that a code change rebuilds only the last ones: the
# module download has its own cached layer.

FROM golang:1.26-bookworm AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
COPY go.mod go.sum ./
RUN go mod download
COPY main.go ./
COPY internal/ ./internal/
ARG VERSION=dev
RUN go build -ldflags "-s -w -X main.version=${VERSION}" -o /out/splx-probe . \
 && /out/splx-probe --version

FROM busybox:1.37
# In a container the host's trust store is absent: bring Debian's CA bundle
# (Go reads /etc/ssl/certs/ca-certificates.crt; SSL_CERT_FILE overrides it).
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/splx-probe /usr/local/bin/splx-probe
# GitHub requires Docker actions to run as root: the runner's file-command
# files belong to its own user, and a non-root USER cannot write them.
USER root
ENTRYPOINT ["/usr/local/bin/splx-probe"]
