#!/usr/bin/env bash
# Runs CMD... against a throwaway mosquitto (Debian's MQTT broker) on 127.0.0.1:
#   scripts/with-mosquitto.sh dotnet test tests/Broker.HttpTests --filter FullyQualifiedName~Mqtt
# Installs mosquitto when missing (Debian/Ubuntu, as root), then starts one from a temporary directory of its own
# (configuration, password file, log, persistence), with three listeners on free ports:
#   MQTT_PORT       anonymous clients
#   MQTT_AUTH_PORT  MQTT_USER with MQTT_PASSWORD only (the password holds characters a URI must percent-encode)
#   MQTT_QOS1_PORT  anonymous clients, QoS 1 at most (max_qos)
# Persistence is on, so client sessions, their subscriptions and their queued QoS 1/2 messages survive a restart.
# Exports MQTT_HOST, the ports, MQTT_USER, MQTT_PASSWORD and MQTT_CTL, a script that stops, starts or restarts this
# mosquitto (`"$MQTT_CTL" stop|start|restart`), runs CMD, and removes everything afterwards. CI=true is exported so
# the MQTT tests fail instead of skipping without a broker.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

export PATH="$PATH:/usr/sbin:/sbin"
if ! command -v mosquitto >/dev/null 2>&1 || ! command -v mosquitto_passwd >/dev/null 2>&1; then
  echo "== installing mosquitto" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends mosquitto
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/mosquitto-tests.XXXXXX")
mkdir -p "$dir/data"

export MQTT_HOST=127.0.0.1
export MQTT_USER=ngsi-tests
# Characters that must be percent-encoded in a URI's user info, so the tests exercise the decoding.
export MQTT_PASSWORD="p:w@d/$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
export MQTT_CTL="$dir/ctl"
mosquitto_passwd -b -c "$dir/passwd" "$MQTT_USER" "$MQTT_PASSWORD" >/dev/null

# Whether something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp: no other tool needed).
accepting() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local port
  while true; do
    port=$((20000 + RANDOM % 40000))
    if ! accepting "$port"; then
      echo "$port"
      return
    fi
  done
}

cat >"$MQTT_CTL" <<EOF
#!/usr/bin/env bash
# Stops, starts or restarts the mosquitto of $dir.
set -euo pipefail
export PATH="\$PATH:/usr/sbin:/sbin"
accepting() { (exec 3<>"/dev/tcp/127.0.0.1/\$1") 2>/dev/null; }
stop() {
  [ -f "$dir/mosquitto.pid" ] || return 0
  local pid
  pid=\$(cat "$dir/mosquitto.pid")
  kill "\$pid" 2>/dev/null || true
  # SIGTERM makes mosquitto write its persistence file before it exits.
  for _ in \$(seq 100); do
    kill -0 "\$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "\$pid" 2>/dev/null; then
    echo "mosquitto (\$pid) did not stop" >&2
    return 1
  fi
  rm -f "$dir/mosquitto.pid"
}
start() {
  mosquitto -c "$dir/mosquitto.conf" -d
  for _ in \$(seq 100); do
    if accepting "\$(cat "$dir/port")" && accepting "\$(cat "$dir/auth-port")" && accepting "\$(cat "$dir/qos1-port")"; then
      return 0
    fi
    sleep 0.1
  done
  echo "mosquitto did not start; its log:" >&2
  cat "$dir/mosquitto.log" >&2 || true
  return 1
}
case "\${1:-}" in
  stop) stop ;;
  start) start ;;
  restart) stop; start ;;
  *) echo "usage: \$0 stop|start|restart" >&2; exit 2 ;;
esac
EOF
chmod +x "$MQTT_CTL"

cleanup() {
  "$MQTT_CTL" stop || true
  rm -rf "$dir"
}
trap cleanup EXIT

# A port found free can be taken before mosquitto binds it: then mosquitto exits, and new ports are tried.
started=false
for _ in 1 2 3 4 5; do
  export MQTT_PORT MQTT_AUTH_PORT MQTT_QOS1_PORT
  MQTT_PORT=$(free_port)
  MQTT_AUTH_PORT=$(free_port)
  MQTT_QOS1_PORT=$(free_port)
  [ "$(printf '%s\n' "$MQTT_PORT" "$MQTT_AUTH_PORT" "$MQTT_QOS1_PORT" | sort -u | wc -l)" -eq 3 ] || continue
  echo "$MQTT_PORT" >"$dir/port"
  echo "$MQTT_AUTH_PORT" >"$dir/auth-port"
  echo "$MQTT_QOS1_PORT" >"$dir/qos1-port"
  cat >"$dir/mosquitto.conf" <<EOF
per_listener_settings true
pid_file $dir/mosquitto.pid
log_dest file $dir/mosquitto.log
log_type error
log_type warning
log_type notice
persistence true
persistence_location $dir/data/

listener $MQTT_PORT 127.0.0.1
allow_anonymous true

listener $MQTT_AUTH_PORT 127.0.0.1
allow_anonymous false
password_file $dir/passwd

listener $MQTT_QOS1_PORT 127.0.0.1
allow_anonymous true
max_qos 1
EOF
  # As root, mosquitto drops its privileges to the mosquitto user, which must be able to use the directory.
  if [ "$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then
    chown -R mosquitto: "$dir"
  fi
  if "$MQTT_CTL" start; then
    started=true
    break
  fi
  "$MQTT_CTL" stop || true
done
if [ "$started" != true ]; then
  echo "could not start mosquitto" >&2
  exit 1
fi
echo "== mosquitto on $MQTT_HOST:$MQTT_PORT (anonymous), :$MQTT_AUTH_PORT (user $MQTT_USER), :$MQTT_QOS1_PORT (QoS 1 at most)" >&2

export CI="${CI:-true}"
set +e
"$@"
status=$?
set -e
exit $status
