# syntax=docker/dockerfile:1
# Build: docker build -t dmf .
# Run:   docker run -p 8080:8080 -v dmf-data:/data dmf
#
# The SQLite driver needs cgo, so the binary is built against glibc in the
# Go image and runs on the matching Debian release.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags="-s -w" -o /out/dmf ./app

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin dmf \
 && mkdir -p /data && chown dmf:dmf /data
COPY --from=build /out/dmf /usr/local/bin/dmf
USER dmf
WORKDIR /data
VOLUME /data
ENV DMF_ADDR=0.0.0.0:8080 \
    DMF_DATABASE=/data/dmf.db \
    DMF_DATA_DIR=/data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '200 OK' <&3"]
ENTRYPOINT ["/usr/local/bin/dmf"]
CMD ["serve"]
