#!/usr/bin/env python3
"""Checks an agent's status answer (JSON on stdin) against the keys
docs/api.md lists for it: every key it always has is there, and every key
there is listed. usage: api_keys.py DOC SECTION < status.json
SECTION: the start of the "## " heading (e.g. "The host agent")."""
import json, re, sys

doc, section = sys.argv[1], sys.argv[2]
text, on, para = open(doc).read().split("\n"), False, []
for line in text:
    if line.startswith("## "):
        on = line[3:].startswith(section)
        continue
    if on and (para or line.startswith("Status keys, always:")):
        if not line.strip():
            break
        para.append(line)
if not para:
    sys.exit(f"{doc}: no 'Status keys, always:' under '## {section}'")
p = re.sub(r"\([^)]*\)", "", " ".join(para))
always, _, sometimes = p.partition("When in use:")
always, sometimes = set(re.findall(r"`([a-z_0-9]+)`", always)), set(re.findall(r"`([a-z_0-9]+)`", sometimes))
got = set(json.load(sys.stdin))
bad = []
if always - got:
    bad.append("missing: " + " ".join(sorted(always - got)))
if got - always - sometimes:
    bad.append("not in docs/api.md: " + " ".join(sorted(got - always - sometimes)))
print("; ".join(bad) if bad else "ok")
sys.exit(1 if bad else 0)
