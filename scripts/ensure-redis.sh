#!/usr/bin/env bash
# Make sure a Redis server answers on 127.0.0.1:6379 (Rasa's lock store and the web
# app's push between instances in the cluster mode). Installs Debian's redis-server
# when it is missing and starts it on loopback, keeping nothing on disk.
set -euo pipefail

ping() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    echo "Installing Redis (Debian package)..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
if ! ping; then
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/balie.log
    for _ in $(seq 30); do ping && break; sleep 0.5; done
fi
ping || { echo "Redis did not start on 127.0.0.1:6379" >&2; exit 1; }
