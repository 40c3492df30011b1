#!/usr/bin/env python3
"""Copies etcd's v3 .proto files, removing what only Go code generation needs.

Debian's golang-etcd-server-dev ships the etcd v3 API protos with gogoproto options
and grpc-gateway HTTP annotations. Neither changes the wire format, and neither
gogo.proto nor google/api/annotations.proto is packaged for C++, so this drops the
imports, the file-level `option (gogoproto.*)` lines and the `option (google.api.http)
= {...};` blocks, and writes the rest unchanged for protoc.

Usage: strip_gateway_options.py SRC_ROOT OUT_ROOT REL_PATH...
"""
import os
import re
import sys


def strip(text):
    out = []
    in_http_block = False
    for line in text.splitlines():
        stripped = line.strip()
        if in_http_block:
            if stripped.endswith("};"):
                in_http_block = False
            continue
        if re.match(r'import\s+"(gogoproto|google/api)/', stripped):
            continue
        if stripped.startswith("option (gogoproto."):
            continue
        if stripped.startswith("option (google.api.http)"):
            in_http_block = not stripped.endswith("};")
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def main(argv):
    src_root, out_root, rels = argv[1], argv[2], argv[3:]
    for rel in rels:
        with open(os.path.join(src_root, rel)) as f:
            text = strip(f.read())
        if "gogoproto" in text or "google.api" in text:
            sys.exit("%s: an option this script does not know how to remove" % rel)
        dest = os.path.join(out_root, "etcd", rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main(sys.argv)
