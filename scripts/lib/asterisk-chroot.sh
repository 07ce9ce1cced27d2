# Functions shared by scripts/asterisk-sandbox and scripts/cluster (sourced, not run).
# The caller sets CHECKOUT, CACHE (the cache folder), ROOT (the chroot), RECORDINGS (the
# checkout's recordings/), SECRETS (the AMI secrets file) and defines log().

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    log "needs root (debootstrap, chroot, mount)"
    exit 1
  fi
}

# The first enabled "deb" source whose URI is a Debian archive (path ending in /debian):
# deb822 stanzas in *.sources, one-line entries in sources.list and *.list.
apt_mirror() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk '$1 == "deb" { i = 2
           if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
           if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'function flush(  i) {
           if (!found && types ~ /(^|[ \t])deb([ \t]|$)/ && enabled != "no")
             for (i = 1; i <= n; i++) if (u[i] ~ /\/debian\/?$/) { print u[i]; found = 1; break }
           types = ""; enabled = ""; n = 0 }
         /^[ \t]*#/ { next }
         /^[ \t]*$/ { flush(); next }
         tolower($1) == "types:" { types = $0; sub(/^[^:]*:/, "", types) }
         tolower($1) == "enabled:" { enabled = tolower($2) }
         tolower($1) == "uris:" { n = 0; for (i = 2; i <= NF; i++) u[++n] = $i }
         END { flush() }' "$f"
  done
}

build() {
  [ -f "$ROOT/.ivr-built" ] && return 0
  need_root
  command -v debootstrap >/dev/null || { log "install debootstrap (scripts/setup-system)"; exit 1; }
  local mirror proxy=""
  mirror="${IVR_SANDBOX_MIRROR:-$(apt_mirror | sed -n 1p)}"
  if [ -z "$mirror" ]; then
    log "no Debian archive found in /etc/apt/sources.list{,.d/*}; set IVR_SANDBOX_MIRROR=URL"
    exit 1
  fi
  eval "$(apt-config shell proxy Acquire::http::Proxy)"
  rm -rf "$ROOT"
  mkdir -p "$ROOT"
  log "debootstrap sid from $mirror into $ROOT (a few minutes, once)"
  http_proxy="${proxy:-${http_proxy:-}}" \
    debootstrap --variant=minbase sid "$ROOT" "$mirror" >"$CACHE/debootstrap.log" 2>&1 \
    || { log "debootstrap failed, see $CACHE/debootstrap.log"; exit 1; }
  if [ -n "$proxy" ]; then
    printf 'Acquire::http::Proxy "%s";\n' "$proxy" >"$ROOT/etc/apt/apt.conf.d/01proxy"
  fi
  # No service may start inside the chroot while packages install.
  printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
  chmod +x "$ROOT/usr/sbin/policy-rc.d"
  mount_api
  log "installing asterisk"
  chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends asterisk asterisk-core-sounds-en-gsm >>"$CACHE/debootstrap.log" 2>&1 \
    || { umount_all; log "apt-get install asterisk failed, see $CACHE/debootstrap.log"; exit 1; }
  chroot "$ROOT" apt-get clean
  umount_all
  # Keep Debian's sample configuration aside; ours replaces it on every `up`.
  [ -d "$ROOT/etc/asterisk.dist" ] || mv "$ROOT/etc/asterisk" "$ROOT/etc/asterisk.dist"
  touch "$ROOT/.ivr-built"
  log "built: $(chroot "$ROOT" asterisk -V)"
}

is_mounted() { mountpoint -q "$1" 2>/dev/null; }

mount_api() {
  mkdir -p "$ROOT/proc" "$ROOT/dev"
  is_mounted "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
  is_mounted "$ROOT/dev" || mount --bind /dev "$ROOT/dev"
}

mount_recordings() {
  mkdir -p "$RECORDINGS" "$ROOT$RECORDINGS"
  # A checkout deleted and cloned again at the same path leaves the old mount pointing at
  # the deleted folder (Asterisk would find no prompts): remount when it is not this one.
  if is_mounted "$ROOT$RECORDINGS" \
      && [ "$(stat -c %d:%i "$ROOT$RECORDINGS")" != "$(stat -c %d:%i "$RECORDINGS")" ]; then
    umount "$ROOT$RECORDINGS" || umount -l "$ROOT$RECORDINGS"
  fi
  is_mounted "$ROOT$RECORDINGS" || mount --bind "$RECORDINGS" "$ROOT$RECORDINGS"
}

umount_all() {
  local m
  # Every mount inside the chroot, deepest first: `reload` from other checkouts adds theirs.
  { findmnt -rn -o TARGET | grep "^$ROOT/" || true; } | sort -r | while read -r m; do
    umount "$m" || umount -l "$m"
  done
}

# One random secret per AMI user, made once (the tests read them with `secret USER`).
make_secrets() {
  [ -s "$SECRETS" ] && return 0
  ( umask 077
    for user in ivr ivr-test; do
      printf '%s %s\n' "$user" "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
    done >"$SECRETS.new" )
  mv "$SECRETS.new" "$SECRETS"
}

secret_of() {
  awk -v user="$1" '$1 == user { print $2; found = 1 } END { exit !found }' "$SECRETS"
}

# asterisk_conf/manager.conf with the AMI secrets, into $1 (default: the chroot's
# /etc/asterisk/manager.conf); $2 and $3, when given, replace the address and port AMI
# binds to.
install_manager_conf() {
  local dest="${1:-$ROOT/etc/asterisk/manager.conf}" bind="${2:-}" port="${3:-}"
  make_secrets
  # Each user's secret goes right under its [section] header (the shipped file has none).
  awk -v ivr="$(secret_of ivr)" -v test="$(secret_of ivr-test)" -v bind="$bind" -v port="$port" '
      bind != "" && $1 == "bindaddr" { print "bindaddr = " bind; next }
      port != "" && $1 == "port" && $2 == "=" { print "port = " port; next }
      { print }
      $0 == "[ivr]" { print "secret = " ivr }
      $0 == "[ivr-test]" { print "secret = " test }' \
    "$CHECKOUT/asterisk_conf/manager.conf" >"$dest.new"
  chmod 0600 "$dest.new"
  mv "$dest.new" "$dest"
}

# The pid in FILE while that process is still the one its command line names by MARK: pids
# wrap at 32768 on these machines, and a dead part's number may be some other process's
# now (a stale pid file once made `up` skip a part, and `down` could kill a stranger).
live_pid() {  # file mark
  local p
  [ -f "$1" ] || return 1
  p="$(cat "$1")"
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$2" || return 1
  echo "$p"
}

without_inherited_fds() {
  ( for fd in /proc/$BASHPID/fd/*; do
      n=${fd##*/}
      if [ "$n" -gt 2 ]; then eval "exec $n>&-"; fi
    done
    exec "$@" )
}

