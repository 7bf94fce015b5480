#!/usr/bin/env python3
"""Writes conformance-tests/ETSI.md from the runs of conformance-tests/etsi.sh (one folder per store)."""
import argparse
import datetime
import os
import platform
import re

AREA_LINE = re.compile(r"^(\s*)(.+?)\s+total\s+(\d+)\s+pass\s+(\d+)\s+fail\s+(\d+)\s+skip\s+(\d+)\s*$")
TOTAL_LINE = re.compile(r"^ETSI NGSI-LD suite: (\d+) tests, (\d+) passed, (\d+) failed, (\d+) skipped")


def read_summary(path):
    """The suite's totals and its areas in order: (depth, name, total, passed)."""
    totals, areas, parents = None, [], []
    with open(path, encoding="utf-8") as summary:
        for line in summary:
            if (match := TOTAL_LINE.match(line)) is not None:
                totals = tuple(int(g) for g in match.groups())
            elif (match := AREA_LINE.match(line)) is not None:
                indent, name, total, passed = match.group(1), match.group(2).strip(), int(match.group(3)), int(match.group(4))
                depth = len(indent) // 2 - 1
                parents = parents[:depth] + [name]
                areas.append((depth, "/".join(parents), total, passed))
    if totals is None:
        raise SystemExit(f"{path}: no totals line")
    return totals, areas


def read_failures(path):
    """Each failed test with the first line of its message."""
    failures = []
    if not os.path.exists(path):
        return failures
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            if not line[0].isspace():
                failures.append([line.strip(), ""])
            elif failures and not failures[-1][1]:
                failures[-1][1] = line.strip()
    return failures


def machine():
    cores = os.cpu_count()
    memory = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            kib = int(info.readline().split()[1])
            memory = f", {kib / 1024 / 1024:.1f} GiB memory"
    except OSError:
        pass
    return f"{cores} cores{memory}, {platform.system()} {platform.release()}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", required=True)
    parser.add_argument("--stores", nargs="+", required=True)
    parser.add_argument("--suite", required=True)
    parser.add_argument("--broker", required=True)
    parser.add_argument("--command", required=True)
    parser.add_argument("--notes")
    args = parser.parse_args()

    runs = {store: read_summary(os.path.join(args.runs, store, "results", "summary.txt")) for store in args.stores}
    mqtt = {}
    for store in args.stores:
        path = os.path.join(args.runs, store, "mqtt", "summary.txt")
        mqtt[store] = read_summary(path)[0] if os.path.exists(path) else None
    failures = {store: read_failures(os.path.join(args.runs, store, "results", "failures.txt"))
                + read_failures(os.path.join(args.runs, store, "mqtt", "failures.txt")) for store in args.stores}

    out = []
    out.append("# ETSI NGSI-LD conformance")
    out.append("")
    out.append("Written by `conformance-tests/etsi.sh` (do not edit by hand; the notes at the end come from")
    out.append("`conformance-tests/etsi-notes.md`).")
    out.append("")
    out.append(f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC")
    out.append(f"- command: `{args.command}`")
    out.append(f"- broker commit: `{args.broker}`")
    out.append(f"- suite: ETSI NGSI-LD API conformance tests (Robot Framework), commit `{args.suite}` of the mirror the offline runner uses;")
    if any(mqtt.values()):
        out.append("  the runner leaves out the MQTT notification tests (tag `sub-mqtt-notification`); `conformance-tests/etsi_mqtt.sh`")
        out.append("  runs them after it, against the same broker, with Debian's mosquitto in place of the suite's Docker image")
    else:
        out.append("  the MQTT notification tests (tag `sub-mqtt-notification`) were not run (the runner leaves them out)")
    out.append(f"- machine: {machine()}")
    out.append("- each store's run starts a fresh broker (Release build) and runs the whole suite against it")
    out.append("")
    out.append("## Passed tests per area")
    out.append("")
    header = "| area | tests | " + " | ".join(args.stores) + " |"
    out.append(header)
    out.append("|---|--:|" + "--:|" * len(args.stores))
    first = runs[args.stores[0]]
    totals_row = f"| **whole suite** | {first[0][0]} | " + " | ".join(f"**{runs[s][0][1]}**" for s in args.stores) + " |"
    out.append(totals_row)
    by_store = {store: {path: passed for _, path, _, passed in runs[store][1]} for store in args.stores}
    for depth, path, total, _ in first[1]:
        label = ("&nbsp;&nbsp;" * depth * 2) + path.rsplit("/", 1)[-1] if depth > 0 else path
        cells = " | ".join(str(by_store[s].get(path, "—")) for s in args.stores)
        out.append(f"| {label} | {total} | {cells} |")
    mqtt_cells = " | ".join(f"{mqtt[s][1]}" if mqtt[s] else "not run" for s in args.stores)
    mqtt_total = next((mqtt[s][0] for s in args.stores if mqtt[s]), "—")
    out.append(f"| MQTT notifications (`sub-mqtt-notification`, etsi_mqtt.sh) | {mqtt_total} | {mqtt_cells} |")
    out.append("")
    out.append("## Failed tests")
    for store in args.stores:
        out.append("")
        out.append(f"### {store} store ({len(failures[store])})")
        out.append("")
        for test, message in failures[store]:
            message = message.replace("|", "/")
            if len(message) > 160:
                message = message[:157] + "..."
            out.append(f"- {test}: {message}" if message else f"- {test}")
    if args.notes and os.path.exists(args.notes):
        out.append("")
        with open(args.notes, encoding="utf-8") as notes:
            out.append(notes.read().rstrip())
    print("\n".join(out))


if __name__ == "__main__":
    main()
