# The controller image the chart deploys: the fully static kubectl-bitcoin binary alone in a
# scratch image, running as an unprivileged user (65532, the chart's runAsUser).
#
#   docker build -t ghcr.io/kubectl-bitcoin/kubectl-bitcoin:0.1.0 .
#       compiles from source in Debian 12 (the same static archives hack/build.sh links)
#   hack/build.sh && docker build --build-arg SOURCE=prebuilt -t ... .
#       packages build/kubectl-bitcoin as built on this machine (no compiler in the image build)
#
# BuildKit (Docker's default builder) builds only the stages the chosen SOURCE needs.
ARG SOURCE=compile

FROM debian:12 AS compile
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      build-essential cmake ninja-build pkg-config git ca-certificates \
      libboost1.81-dev libboost-json1.81-dev libssl-dev libyaml-dev libcli11-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DKB_WERROR=ON -DKB_TESTS=OFF -DKB_STATIC=ON -DCMAKE_BUILD_TYPE=Release \
 && cmake --build /build --target kubectl-bitcoin \
 && mkdir /out && strip -o /out/kubectl-bitcoin /build/kubectl-bitcoin \
 && /out/kubectl-bitcoin version

FROM scratch AS prebuilt
COPY build/kubectl-bitcoin /out/kubectl-bitcoin

FROM ${SOURCE} AS binary

FROM scratch
LABEL org.opencontainers.image.title="kubectl-bitcoin" \
      org.opencontainers.image.description="Bitcoin regtest networks on Kubernetes: the controller (kubectl-bitcoin serve)" \
      org.opencontainers.image.source="https://github.com/kubectl-bitcoin/kubectl-bitcoin"
COPY --from=binary /out/kubectl-bitcoin /kubectl-bitcoin
USER 65532:65532
ENTRYPOINT ["/kubectl-bitcoin"]
CMD ["serve"]
