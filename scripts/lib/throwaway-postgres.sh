# Shared by scripts/test and bench/run: make sure the tools are there, and start a
# private, throwaway PostgreSQL cluster that is removed again when the script exits.
# Source it, then call `ensure_tools` and `start_throwaway_postgres`.

# Installs PostgreSQL, libpq-dev, pkg-config and mosquitto (broker, clients, library)
# with apt when missing (as root),
# or says what to install otherwise.
ensure_tools() {
    local missing=()
    postgres_bin_dir >/dev/null || missing+=(postgresql)
    pkg-config --exists libpq 2>/dev/null || missing+=(libpq-dev)
    command -v pkg-config >/dev/null || missing+=(pkg-config)
    command -v openssl >/dev/null || missing+=(openssl)
    # The gateway's MQTT client library, and the broker and clients its tests run.
    pkg-config --exists libmosquitto 2>/dev/null || missing+=(libmosquitto-dev)
    pkg-config --exists zlib 2>/dev/null || missing+=(zlib1g-dev)  # gzipped request bodies
    command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
    command -v mosquitto_pub >/dev/null || missing+=(mosquitto-clients)
    if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            echo "installing ${missing[*]} with apt-get" >&2
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        else
            echo "missing: ${missing[*]}; install them (Debian: apt-get install ${missing[*]})" >&2
            return 1
        fi
    fi
    if ! command -v swift >/dev/null; then
        echo "swift is not on PATH: install Swift 6 (https://www.swift.org/install/linux/)" >&2
        return 1
    fi
}

# Prints the newest /usr/lib/postgresql/<version>/bin that has initdb (or the one on PATH).
postgres_bin_dir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | while read -r d; do
        [ -x "$d/initdb" ] && echo "$d"; done | tail -n 1)
    if [ -z "$dir" ] && command -v initdb >/dev/null; then dir=$(dirname "$(command -v initdb)"); fi
    [ -n "$dir" ] && echo "$dir"
}

# Runs a command as the unprivileged cluster owner (PostgreSQL refuses to run as root).
# From /, with absolute paths, so that a clone in a folder the owner cannot enter (root's
# home) makes no "could not change directory" noise.
as_cluster_owner() {
    if [ "$(id -u)" = 0 ]; then (cd / && runuser -u "$PGSCORER_CLUSTER_OWNER" -- "$@"); else "$@"; fi
}

# Starts a cluster in a fresh temp dir listening only on a unix socket in that dir
# (so no port can clash), exports PGHOST/PGPORT/PGUSER/PGDATABASE for libpq, and
# stops and deletes it on exit, whatever happens.
start_throwaway_postgres() {
    local bin
    bin=$(postgres_bin_dir) || { echo "no PostgreSQL server binaries found (initdb)" >&2; return 1; }
    PGSCORER_CLUSTER_OWNER=$(id -un)
    if [ "$(id -u)" = 0 ]; then
        PGSCORER_CLUSTER_OWNER=postgres
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    fi
    PGSCORER_CLUSTER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pgscorer-cluster.XXXXXX")
    chmod 755 "$PGSCORER_CLUSTER_DIR"
    [ "$(id -u)" = 0 ] && chown "$PGSCORER_CLUSTER_OWNER" "$PGSCORER_CLUSTER_DIR"
    PGSCORER_CLUSTER_BIN=$bin
    # A script with more to clean up names a function in PGSCORER_EXIT_HOOK.
    trap 'stop_throwaway_postgres; [ -z "${PGSCORER_EXIT_HOOK:-}" ] || "$PGSCORER_EXIT_HOOK"' EXIT
    trap 'exit 130' INT TERM

    as_cluster_owner "$bin/initdb" -D "$PGSCORER_CLUSTER_DIR/data" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$PGSCORER_CLUSTER_DIR/initdb.log" 2>&1 \
        || { cat "$PGSCORER_CLUSTER_DIR/initdb.log" >&2; echo "initdb failed" >&2; return 1; }
    # TLS on a free loopback port too, with a self-signed certificate made here, so
    # the tests can check sslmode=require and verify-full.
    local tls_options=""
    if command -v openssl >/dev/null; then
        local tls_port
        tls_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
            -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
            -keyout "$PGSCORER_CLUSTER_DIR/server.key" -out "$PGSCORER_CLUSTER_DIR/server.crt" >/dev/null 2>&1
        chmod 600 "$PGSCORER_CLUSTER_DIR/server.key"
        [ "$(id -u)" = 0 ] && chown "$PGSCORER_CLUSTER_OWNER" "$PGSCORER_CLUSTER_DIR/server.key" "$PGSCORER_CLUSTER_DIR/server.crt"
        tls_options="-c ssl=on -c ssl_cert_file=$PGSCORER_CLUSTER_DIR/server.crt -c ssl_key_file=$PGSCORER_CLUSTER_DIR/server.key"
        export PGSCORER_TEST_TLS_PORT=$tls_port PGSCORER_TEST_TLS_CA=$PGSCORER_CLUSTER_DIR/server.crt
    fi
    # Durability is pointless for a throwaway cluster; speed is not.
    as_cluster_owner "$bin/pg_ctl" -D "$PGSCORER_CLUSTER_DIR/data" -l "$PGSCORER_CLUSTER_DIR/server.log" -w -t 60 \
        -o "-c listen_addresses='${PGSCORER_TEST_TLS_PORT:+127.0.0.1}' -k $PGSCORER_CLUSTER_DIR -p ${PGSCORER_TEST_TLS_PORT:-5432} \
            $tls_options -c fsync=off -c synchronous_commit=off \
            -c full_page_writes=off -c max_connections=400 -c shared_buffers=256MB ${PGSCORER_CLUSTER_OPTIONS:-}" \
        start >/dev/null \
        || { cat "$PGSCORER_CLUSTER_DIR/server.log" >&2; echo "PostgreSQL did not start" >&2; return 1; }
    export PGHOST=$PGSCORER_CLUSTER_DIR PGPORT=${PGSCORER_TEST_TLS_PORT:-5432} PGUSER=postgres PGDATABASE=postgres
    export PGSCORER_TEST_PGBIN=$bin PGSCORER_TEST_PGDATA=$PGSCORER_CLUSTER_DIR/data
    unset DATABASE_URL PGPASSWORD PGSERVICE
    echo "throwaway PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on socket $PGHOST" >&2
}

stop_throwaway_postgres() {
    [ -n "${PGSCORER_CLUSTER_DIR:-}" ] || return 0
    as_cluster_owner "$PGSCORER_CLUSTER_BIN/pg_ctl" -D "$PGSCORER_CLUSTER_DIR/data" -m immediate -w stop \
        >/dev/null 2>&1 || true
    rm -rf "$PGSCORER_CLUSTER_DIR"
    PGSCORER_CLUSTER_DIR=
}
