#!/usr/bin/env python3
"""The steps of scripts/link/generate-order that read binaries, profiles and link maps.

    order.py callgrind EXE CALLGRIND_OUT      -> the functions callgrind saw, in EXE's address order
    order.py drop-cache FILE                  -> evicts FILE from the page cache
    order.py faults EXE PERF_SCRIPT ORDER     -> ORDER plus the agent's faulting functions
    order.py pack MAP ORDER                   -> ORDER with many-function input sections last
"""

import bisect
import os
import re
import subprocess
import sys

# The agent's threads: its main thread (and its vfork children before they exec), NIO's event
# loops and Dispatch's workers ("com.apple.root.default-qos", cut to 15 characters).
AGENT_THREADS = re.compile(r"^(skiff|NIO-.*|.*qos.*)$")


def functions(exe):
    """(address, name) of every function symbol, by address."""
    out = subprocess.run(["nm", "-n", "--defined-only", exe], capture_output=True, text=True, check=True).stdout
    return [(int(p[0], 16), p[2]) for p in (line.split() for line in out.splitlines()) if len(p) == 3 and p[1] in "tTwW"]


def text_range(exe):
    out = subprocess.run(["readelf", "-SW", exe], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+\.text\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", line)
        if m:
            return int(m.group(1), 16), int(m.group(1), 16) + int(m.group(2), 16)
    raise SystemExit(f"{exe} has no .text")


def in_address_order(exe, names):
    seen, ordered = set(), []
    for _, name in functions(exe):
        if name in names and name not in seen:
            seen.add(name)
            ordered.append(name)
    return ordered


def callgrind(exe, profile):
    table = functions(exe)
    starts = [address for address, _ in table]
    names = set()
    with open(profile) as f:
        for line in f:
            if not line.startswith("fn="):
                continue
            name = line[3:].strip().split("'")[0]  # "'2": callgrind's mark for a recursion level
            if name.startswith("0x"):  # no symbol covered it: the function containing the address
                index = bisect.bisect_right(starts, int(name, 16)) - 1
                if index >= 0:
                    names.add(table[index][1])
            else:
                names.add(name)
    # Every IRELATIVE resolver runs at start-up, before valgrind takes over.
    names.update(name for _, name in table if name.endswith("_ifunc"))
    print("\n".join(in_address_order(exe, names)))


def drop_cache(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def faults(exe, perf_script, order_path):
    order = [line.strip() for line in open(order_path) if line.strip()]
    known = set(order)
    table = functions(exe)
    starts = [address for address, _ in table]
    low, high = text_range(exe)
    added = []
    with open(perf_script) as f:
        for line in f:
            fields = line.split()
            if len(fields) < 2 or not AGENT_THREADS.match(" ".join(fields[:-1])):
                continue
            address = int(fields[-1], 16)
            if not low <= address < high:
                continue
            name = table[bisect.bisect_right(starts, address) - 1][1]
            if name not in known:
                known.add(name)
                added.append(name)
    print("\n".join(added + order))


def pack(map_path, order_path):
    """Moves functions whose input section holds several functions and is over 16 KiB to the end."""
    line_pattern = re.compile(r"^\s*[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+ (\s*)(.*)$")
    section, members, section_of = None, {}, {}
    with open(map_path) as f:
        for line in f:
            m = line_pattern.match(line)
            if not m:
                continue
            depth, text = len(m.group(2)), m.group(3)
            if depth == 8:  # an input section: "file:(name)"
                section = (text, int(m.group(1), 16))
                members[section] = 0
            elif depth == 16 and section is not None:  # a symbol in it
                section_of.setdefault(text, section)
                members[section] += 1
    shared = {s for s, n in members.items() if n > 1 and s[1] > 16384 and ".text" in s[0]}
    order = [line.strip() for line in open(order_path) if line.strip()]
    print("\n".join([n for n in order if section_of.get(n) not in shared] + [n for n in order if section_of.get(n) in shared]))


def main():
    command, args = sys.argv[1], sys.argv[2:]
    {"callgrind": callgrind, "drop-cache": drop_cache, "faults": faults, "pack": pack}[command](*args)


main()
