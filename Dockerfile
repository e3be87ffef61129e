# syntax=docker/dockerfile:1
# The controller image the chart deploys: the fully static kubectl-bitcoin binary alone in a
# scratch image, running as an unprivileged user (65532, the chart's runAsUser).
#
#   docker build -t ghcr.io/kubectl-bitcoin/kubectl-bitcoin:0.1.0 .
#
# Stage "build" compiles from source with Debian 12's static archives (as hack/build.sh does on a
# host). To package a binary built elsewhere instead (hack/release.sh does), skip it:
#   docker build --build-arg PREBUILT=build/kubectl-bitcoin --target prebuilt -t ... .

FROM debian:12 AS build
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      build-essential cmake ninja-build pkg-config git ca-certificates \
      libboost1.81-dev libboost-json1.81-dev libssl-dev libyaml-cpp-dev libcli11-dev doctest-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DKB_WERROR=ON -DKB_TESTS=OFF -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build --target kubectl-bitcoin \
 && strip /build/kubectl-bitcoin \
 && /build/kubectl-bitcoin version

FROM scratch AS prebuilt
ARG PREBUILT=build/kubectl-bitcoin
COPY --chmod=0555 ${PREBUILT} /kubectl-bitcoin
USER 65532:65532
ENTRYPOINT ["/kubectl-bitcoin"]
CMD ["serve"]

FROM scratch
LABEL org.opencontainers.image.title="kubectl-bitcoin" \
      org.opencontainers.image.description="Bitcoin regtest networks on Kubernetes: the controller (kubectl-bitcoin serve)" \
      org.opencontainers.image.source="https://github.com/kubectl-bitcoin/kubectl-bitcoin"
COPY --from=build --chmod=0555 /build/kubectl-bitcoin /kubectl-bitcoin
USER 65532:65532
ENTRYPOINT ["/kubectl-bitcoin"]
CMD ["serve"]
