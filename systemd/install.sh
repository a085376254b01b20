#!/usr/bin/env bash
# systemd/install.sh — installs Skiff as systemd services (skiff-server, skiff-agent).
#
#   systemd/install.sh [--server-only | --agent-only] [--no-start] [BIN_DIR]
#   systemd/install.sh --uninstall [--server-only | --agent-only]
#
# Install: copies skiff (and, for the agent, skiff-runc and skiff-monitor) from BIN_DIR
#   (default $SKIFF_BIN_DIR, else <repo>/.build-runc/release) to /usr/local/bin, the units to
#   /etc/systemd/system, creates /var/lib/skiff, reloads systemd, enables the units and starts
#   them (--no-start: enable only). Running again is safe: unchanged files are left alone, and a
#   running service is restarted only when its binary or unit changed.
# Uninstall: stops and disables the units, removes them and the binaries no remaining unit
#   needs. It never touches /var/lib/skiff (the cluster's data) or /etc/default/skiff-*.
#   Pods keep running after the agent stops (KillMode=process); they are not killed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/.." && pwd -P)
bin_target=/usr/local/bin
unit_target=/etc/systemd/system
data_dir=/var/lib/skiff

usage() {
    sed -n '2,16s/^# \{0,1\}//p' "$0" >&2
    exit 2
}
msg() { echo "install.sh: $*"; }
die() { echo "install.sh: error: $*" >&2; exit 1; }

# ---- arguments ----------------------------------------------------------------------------
server=1 agent=1 start=1 uninstall=0 bin_dir=${SKIFF_BIN_DIR:-}
while (($#)); do
    case "$1" in
        --server-only) agent=0; shift ;;
        --agent-only) server=0; shift ;;
        --no-start) start=0; shift ;;
        --uninstall) uninstall=1; shift ;;
        -h | --help) usage ;;
        -*) echo "install.sh: unknown option '$1'" >&2; usage ;;
        *) [[ -z ${positional_seen:-} ]] || { echo "install.sh: more than one BIN_DIR given" >&2; usage; }
           bin_dir=$1 positional_seen=1; shift ;;
    esac
done
((server || agent)) || die "--server-only and --agent-only exclude each other"
((EUID == 0)) || die "must run as root (it writes $bin_target and $unit_target and runs systemctl)"
command -v systemctl >/dev/null || die "systemctl not found: this host does not use systemd"
# systemctl talks to the running systemd; without one (a chroot, a container) only copy files.
systemd_running=0
[[ -d /run/systemd/system ]] && systemd_running=1

units=()
((server)) && units+=(skiff-server)
((agent)) && units+=(skiff-agent)

# ---- uninstall ----------------------------------------------------------------------------
if ((uninstall)); then
    # Agent first: it talks to the server until it stops.
    reversed=()
    for unit in "${units[@]}"; do reversed=("$unit" "${reversed[@]+"${reversed[@]}"}"); done
    for unit in "${reversed[@]}"; do
        if [[ -e $unit_target/$unit.service ]]; then
            if ((systemd_running)); then
                msg "stopping and disabling $unit"
                systemctl disable --now "$unit.service" || msg "warning: could not stop $unit cleanly"
            fi
            rm -f "$unit_target/$unit.service"
            msg "removed $unit_target/$unit.service"
        else
            msg "$unit is not installed"
        fi
    done
    ((systemd_running)) && systemctl daemon-reload
    # Keep every binary a still-installed unit runs.
    remove=()
    [[ -e $unit_target/skiff-agent.service ]] || remove+=(skiff-runc skiff-monitor)
    [[ -e $unit_target/skiff-agent.service || -e $unit_target/skiff-server.service ]] || remove+=(skiff)
    for name in "${remove[@]}"; do
        if [[ -e $bin_target/$name ]]; then
            rm -f "$bin_target/$name"
            msg "removed $bin_target/$name"
        fi
    done
    ((agent)) && msg "note: pods the agent started keep running; the agent's next start adopts them"
    msg "kept $data_dir (cluster data) and /etc/default/skiff-* (settings); remove them by hand if you want them gone"
    exit 0
fi

# ---- install ------------------------------------------------------------------------------
bin_dir=${bin_dir:-$repo/.build-runc/release}
[[ -d $bin_dir ]] || die "binary directory $bin_dir does not exist (build first, or pass BIN_DIR / set SKIFF_BIN_DIR)"
binaries=(skiff)
((agent)) && binaries+=(skiff-runc skiff-monitor)
for name in "${binaries[@]}"; do
    [[ -x $bin_dir/$name ]] || die "$bin_dir/$name is missing or not executable; build it with:
  scripts/build-static $name"
done
[[ -f $here/skiff-server.service && -f $here/skiff-agent.service ]] || die "unit files missing next to $0"

changed_binaries=0
# Copies SRC to DEST (mode MODE) unless identical; the copy is renamed into place so a running
# binary is never overwritten in place ("text file busy") and a reader never sees half a file.
put() { # put SRC DEST MODE -> returns 0 if DEST changed
    local src=$1 dest=$2 mode=$3
    if [[ -f $dest ]] && cmp -s "$src" "$dest"; then
        return 1
    fi
    local tmp
    tmp=$(mktemp "$dest.XXXXXX")
    # Checked by hand: set -e does not apply inside a function called as an `if` condition.
    if ! { cp "$src" "$tmp" && chmod "$mode" "$tmp" && mv -f "$tmp" "$dest"; }; then
        rm -f "$tmp"
        die "could not install $dest"
    fi
    return 0
}

mkdir -p "$bin_target" "$unit_target"
for name in "${binaries[@]}"; do
    if put "$bin_dir/$name" "$bin_target/$name" 0755; then
        msg "installed $bin_target/$name"
        changed_binaries=1
    else
        msg "$bin_target/$name is up to date"
    fi
done

changed_units=()
for unit in "${units[@]}"; do
    if put "$here/$unit.service" "$unit_target/$unit.service" 0644; then
        msg "installed $unit_target/$unit.service"
        changed_units+=("$unit")
    else
        msg "$unit_target/$unit.service is up to date"
    fi
done

if [[ ! -d $data_dir ]]; then
    install -d -m 0711 "$data_dir"
    msg "created $data_dir"
fi
if ((agent)) && [[ ! -e /etc/default/skiff-agent ]]; then
    mkdir -p /etc/default
    cat >/etc/default/skiff-agent <<'DEFAULTS'
# Settings of skiff-agent.service (see systemd/README.md). The defaults join the server on
# this host; for a remote server set its URL and a copy of its node-token:
#SKIFF_AGENT_SERVER=https://127.0.0.1:6443
#SKIFF_AGENT_TOKEN_FILE=/var/lib/skiff/server/node-token
#SKIFF_AGENT_DATA_DIR=/var/lib/skiff/agent
#SKIFF_AGENT_ARGS=
DEFAULTS
    msg "wrote /etc/default/skiff-agent (settings template)"
fi

if ((!systemd_running)); then
    msg "systemd is not running here; files are installed, but nothing was enabled or started"
    exit 0
fi
systemctl daemon-reload
for unit in "${units[@]}"; do
    systemctl enable --quiet "$unit.service"
    msg "enabled $unit"
done
if ((!start)); then
    msg "not starting (--no-start); start with: systemctl start ${units[*]}"
    exit 0
fi
# Server first: the agent registers with it. `systemctl start` of a Type=notify unit returns
# once the service sent READY=1, or fails when it exits or times out first.
for unit in "${units[@]}"; do
    unit_changed=0
    for c in "${changed_units[@]+"${changed_units[@]}"}"; do [[ $c == "$unit" ]] && unit_changed=1; done
    if systemctl is-active --quiet "$unit.service"; then
        if ((changed_binaries || unit_changed)); then
            msg "restarting $unit (new binary or unit)"
            systemctl restart "$unit.service" || die "$unit did not come back; see: journalctl -u $unit -n 50"
        else
            msg "$unit is already running"
        fi
    else
        msg "starting $unit"
        systemctl start "$unit.service" || die "$unit did not start; see: journalctl -u $unit -n 50"
    fi
    msg "$unit is $(systemctl show -p ActiveState --value "$unit.service")/$(systemctl show -p SubState --value "$unit.service")"
done
((server)) && msg "kubectl --kubeconfig $data_dir/server/admin.kubeconfig get nodes"
exit 0
