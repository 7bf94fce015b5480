#!/usr/bin/env bash
# Runs the ETSI suite's MQTT notification tests (tag sub-mqtt-notification) against the broker on port 1026, with
# Debian's mosquitto in place of the Docker image the suite starts:
#   conformance-tests/etsi_mqtt.sh OUTPUT_FOLDER
# The offline runner leaves these tests out, so this wrapper runs them with the runner's work folder (prepared by an
# earlier run of run-etsi.sh): its Robot Framework, libraries, variables.py and offline @context server. It adds what
# the tests need besides: MQTTLibrary and paho-mqtt (from the mirrors randomsync/robotframework-mqttlibrary and
# eclipse-paho/paho.mqtt.python, brought with the `fetch` tool) and a `docker` on PATH that runs and removes a local
# mosquitto with the configuration the test names. The suite's non-default MQTT port (8085 in the runner's variables)
# is also its notification port, so the tests get another one (ETSI_MQTT_ALT_PORT, default 18830).
# Writes OUTPUT_FOLDER/output.xml, summary.txt and failures.txt.
set -euo pipefail

OUT=${1:?usage: etsi_mqtt.sh OUTPUT_FOLDER}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNNER=${ETSI_RUNNER:-$ROOT/../shared/tools/etsi/run-etsi.sh}
TOOLS=$(cd "$(dirname "$RUNNER")" && pwd)
WORK=${ETSI_WORK:-${TMPDIR:-/tmp}/etsi-work}
PY=${ETSI_PYTHON:-/usr/bin/python3}
ALT_PORT=${ETSI_MQTT_ALT_PORT:-18830}
find_mirror() { local d=$TOOLS; while [ "$d" != / ]; do [ -d "$d/.mirror" ] && { echo "$d/.mirror"; return; }; d=$(dirname "$d"); done; echo "${HOME:-/root}/.mirror"; }
MIRROR=${ETSI_MIRROR:-$(find_mirror)}

export PATH="$PATH:/usr/sbin:/sbin"
[ -f "$WORK/suite/resources/variables.py" ] || { echo "no prepared work folder at $WORK: run run-etsi.sh first" >&2; exit 3; }
command -v mosquitto >/dev/null || { echo "mosquitto is not installed (scripts/with-mosquitto.sh installs it)" >&2; exit 3; }
mkdir -p "$OUT/bin"
OUT=$(cd "$OUT" && pwd)

# MQTTLibrary 0.7.1 wants paho-mqtt 1.x (2.0 changed the client's constructor).
LIBS=$WORK/pylib-mqtt
if [ ! -d "$LIBS/MQTTLibrary" ] || [ ! -d "$LIBS/paho" ]; then
  mkdir -p "$LIBS"
  for spec in "randomsync+robotframework-mqttlibrary|0.7.1|src/MQTTLibrary" "eclipse-paho+paho.mqtt.python|v1.6.1|src/paho"; do
    IFS='|' read -r name ref path <<<"$spec"
    git_dir="$MIRROR/$name/repo"
    [ -d "$git_dir" ] || { echo "missing mirror $git_dir (fetch github:${name/+//})" >&2; exit 3; }
    git --git-dir "$git_dir" archive "$ref" "$path" | tar -x -C "$LIBS" --strip-components=1
  done
fi

# The stand-in for `docker run ... -e CONF=name ... image` and `docker [container] rm -f name`.
cat >"$OUT/bin/docker" <<EOF
#!/usr/bin/env bash
pidfile="$OUT/mosquitto.pid"
stop() {
  if [ -s "\$pidfile" ]; then kill "\$(cat "\$pidfile")" 2>/dev/null; while kill -0 "\$(cat "\$pidfile")" 2>/dev/null; do sleep 0.1; done; rm -f "\$pidfile"; fi
  if [ -f "$OUT/auth-folders" ]; then xargs rm -rf <"$OUT/auth-folders"; rm -f "$OUT/auth-folders"; fi
}
case "\$1" in
  rm | container) stop; exit 0 ;;
  run)
    conf=""
    for arg in "\$@"; do case "\$arg" in CONF=*) conf=\${arg#CONF=} ;; esac; done
    source_conf="$WORK/suite/resources/mqttUtils/mosquitto/\$conf"
    [ -f "\$source_conf" ] || { echo "no configuration \$conf" >&2; exit 1; }
    stop
    generated="$OUT/\$conf"
    grep -v -E '^(listener|password_file)' "\$source_conf" >"\$generated"
    printf 'listener 1883 127.0.0.1\nlistener $ALT_PORT 127.0.0.1\n' >>"\$generated"
    if grep -q '^password_file' "\$source_conf"; then
      # As the configuration's comment says: user user_with_password, password "password". As root, mosquitto drops
      # its privileges to the mosquitto user, so the file goes in a folder of its own that this user may read.
      auth=\$(mktemp -d "\${TMPDIR:-/tmp}/etsi-mqtt-auth.XXXXXX")
      echo "\$auth" >>"$OUT/auth-folders"
      mosquitto_passwd -c -b "\$auth/passwords" user_with_password password
      chmod 0700 "\$auth/passwords"
      if [ "\$(id -u)" -eq 0 ] && id mosquitto >/dev/null 2>&1; then chown -R mosquitto: "\$auth"; fi
      echo "password_file \$auth/passwords" >>"\$generated"
    fi
    mosquitto -c "\$generated" >>"$OUT/mosquitto.log" 2>&1 &
    echo \$! >"\$pidfile"
    for _ in \$(seq 50); do "$PY" -c 'import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(("127.0.0.1",1883)))' && exit 0; sleep 0.1; done
    echo "mosquitto did not start (see $OUT/mosquitto.log)" >&2; exit 1 ;;
  *) echo "docker stand-in: \$* is not supported" >&2; exit 1 ;;
esac
EOF
chmod +x "$OUT/bin/docker"

P=$WORK/pylib
export PYTHONPATH="$P/robotframework/src:$P/requestslibrary/src:$P/jsonlibrary:$P/deepdiff:$P/orderlyset:$P/jsonpathng:$P/prettydiff:$WORK/suite/libraries/robotframework-httpctrl/src:$LIBS"
export PATH="$OUT/bin:$PATH"

"$PY" "$TOOLS/etsi_contexts.py" serve --ctx-root "$WORK/contexts" --host 127.0.0.1 --port "${ETSI_CTX_PORT:-8089}" \
  --log "$OUT/context-server.log" --pidfile "$OUT/context-server.pid" >"$OUT/context-server.out" 2>&1 &
contexts=$!
trap 'kill "$(cat "$OUT/context-server.pid" 2>/dev/null)" $contexts 2>/dev/null; "$OUT/bin/docker" rm -f x' EXIT
for _ in $(seq 50); do "$PY" -c 'import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(("127.0.0.1",'"${ETSI_CTX_PORT:-8089}"')))' && break; sleep 0.1; done

status=0
(cd "$WORK/suite" && "$PY" -m robot --outputdir "$OUT" --name "ETSI NGSI-LD" --include sub-mqtt-notification \
  --variable "mqtt_broker_non_default_port:$ALT_PORT" --console dotted \
  TP/NGSI-LD/ContextInformation/Subscription/SubscriptionNotificationBehaviour/MQTT) >"$OUT/console.log" 2>&1 || status=$?
[ -s "$OUT/output.xml" ] || { echo "robot wrote no output (exit $status, see $OUT/console.log)" >&2; exit 3; }
"$PY" "$TOOLS/etsi_summary.py" "$OUT/output.xml" --failures-file "$OUT/failures.txt" >"$OUT/summary.txt"
head -1 "$OUT/summary.txt"
