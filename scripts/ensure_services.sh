#!/usr/bin/env bash
# Start PostgreSQL, Redis and RabbitMQ on this machine if they are installed but down
# (the commands of this machine kind; elsewhere, start them your own way).
set -u
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! up 5432 && command -v pg_ctlcluster >/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! up 6379 && command -v redis-server >/dev/null; then
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
if ! up 5672 && command -v rabbitmq-server >/dev/null; then
  rabbitmq-server -detached || true
  for _ in $(seq 30); do up 5672 && break; sleep 1; done
fi
for port in 5432 6379 5672; do up $port && echo "service on :$port is up" || echo "service on :$port is DOWN"; done
