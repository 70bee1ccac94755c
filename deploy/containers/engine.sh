#!/usr/bin/env bash
# A Docker engine for the container tests, on machines without an init system (CI, these build machines):
#   deploy/containers/engine.sh start    install docker.io (+ iptables, debootstrap) if missing, start dockerd
#   deploy/containers/engine.sh images   the local base images (local/debian:bookworm, local/debian:trixie, from
#                                        Debian's archive) and the stand-ins of the official images the tests use
#   deploy/containers/engine.sh stop     stop the dockerd this script started (not one it found running)
#   deploy/containers/engine.sh status
# Idempotent: what is there is kept (a running engine, built images); `start` on a machine with an engine
# running only checks it. No registry is reachable here, so nothing is pulled: every image is built from
# Debian's archive and Maven Central. State (pid, log) in $TWINSTREAM_ENGINE_DIR (default /var/tmp/twinstream-engine).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
state="${TWINSTREAM_ENGINE_DIR:-/var/tmp/twinstream-engine}"
mirror="${TWINSTREAM_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
mkdir -p "$state"
# The stand-in broker is the project's Kafka version (the pom's kafka.version), tagged as the official image.
kafka_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$root/pom.xml" | head -1)"
# The Prometheus stand-in takes the tag docker-compose.yml names.
prometheus_image="$(sed -n 's:^ *image\: *\(prom/prometheus\:.*\)$:\1:p' "$root/docker-compose.yml" | head -1)"
flink_version="$(sed -n 's:.*<flink.version>\(.*\)</flink.version>.*:\1:p' "$root/pom.xml" | head -1)"

say() { printf '[%s] engine: %s\n' "$(date -u +%H:%M:%S)" "$*"; }

install_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  if ((${#missing[@]})); then
    say "installing ${missing[*]} (Debian packages)"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  fi
}

running() { docker info >/dev/null 2>&1; }

start() {
  if running; then
    say "an engine is running already: $(docker info --format '{{.ServerVersion}} ({{.Driver}})')"
    return
  fi
  install_packages
  say "starting dockerd (log: $state/dockerd.log)"
  # --bip: Testcontainers finds the bridge gateway without pulling an image; --mtu: fits the host's network.
  dockerd --bip=172.17.0.1/16 --mtu=1400 >"$state/dockerd.log" 2>&1 &
  echo $! >"$state/dockerd.pid"
  for _ in $(seq 1 60); do
    if running; then
      say "dockerd $(docker info --format '{{.ServerVersion}}') up (pid $(cat "$state/dockerd.pid"))"
      return
    fi
    sleep 0.5
  done
  say "dockerd did not answer within 30 s; its log ends:"
  tail -20 "$state/dockerd.log" >&2
  exit 1
}

stop() {
  if [[ -f "$state/dockerd.pid" ]]; then
    local pid
    pid="$(cat "$state/dockerd.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      say "stopping the containers and dockerd (pid $pid)"
      docker ps -q | xargs -r docker kill >/dev/null 2>&1 || true
      kill "$pid"
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    fi
    rm -f "$state/dockerd.pid"
  else
    say "no dockerd started by this script"
  fi
}

base_image() { # SUITE
  local suite="$1"
  if docker image inspect "local/debian:$suite" >/dev/null 2>&1; then
    return
  fi
  command -v debootstrap >/dev/null || install_packages
  say "building local/debian:$suite from $mirror (debootstrap, about a minute)"
  local dir
  dir="$(mktemp -d)"
  debootstrap --variant=minbase "$suite" "$dir" "$mirror" >"$state/debootstrap-$suite.log" 2>&1 ||
    { tail -20 "$state/debootstrap-$suite.log" >&2; rm -rf "$dir"; exit 1; }
  tar -C "$dir" -c . | docker import - "local/debian:$suite" >/dev/null
  rm -rf "$dir"
}

standin() { # TAG NAME: deploy/containers/standins/NAME/Dockerfile, built with deploy/containers as its context
  local tag="$1" dockerfile="$here/standins/$2/Dockerfile"
  if docker image inspect "$tag" >/dev/null 2>&1 && [[ "${TWINSTREAM_REBUILD:-}" != true ]]; then
    return
  fi
  say "building the stand-in $tag ($dockerfile)"
  docker build -t "$tag" -f "$dockerfile" "$here" >"$state/build-$2.log" 2>&1 ||
    { say "building $tag failed; its log ends:"; tail -30 "$state/build-$2.log" >&2; exit 1; }
}

images() {
  running || { say "no engine: run '$0 start' first"; exit 1; }
  base_image bookworm
  base_image trixie
  standin pgvector/pgvector:pg17 pgvector
  standin eclipse-temurin:17-jre temurin
  standin "$prometheus_image" prometheus
  if [[ ! -d "$here/target/kafka/libs" ]]; then
    say "no Kafka jars in $here/target/kafka/libs: mvn -B -q -pl deploy/containers,deploy/flink-dist package first"
    exit 1
  fi
  standin "apache/kafka:$kafka_version" kafka
  if [[ ! -d "$root/deploy/flink-dist/target/flink/lib" ]]; then
    say "no Flink jars in deploy/flink-dist/target/flink: mvn -B -q -pl deploy/flink-dist package first"
    exit 1
  fi
  rm -rf "$here/target/flink" && mkdir -p "$here/target" && cp -r "$root/deploy/flink-dist/target/flink" "$here/target/flink"
  standin "flink:$flink_version-scala_2.12-java17" flink
  docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | sort
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  images) images ;;
  status) if running; then docker info --format 'engine {{.ServerVersion}}, {{.Containers}} containers, {{.Images}} images'; else echo "no engine"; exit 1; fi ;;
  *) echo "usage: $0 start|images|stop|status" >&2; exit 2 ;;
esac
