#!/usr/bin/python3
"""A firehose subscriber in Python, using Debian's python3-grpcio and python3-protobuf.

Subscribes to a node's Ingest service, prints one line per statsd record, and keeps
going across disconnects and node restarts by resuming after the last batch it got
(StartPosition FROM_AFTER), so it never prints a batch twice and every loss arrives as
a gap notice with exact counts. It can also ask the node's standard gRPC health
service and list its services through server reflection.

Run it with /usr/bin/python3 (the interpreter Debian's python3-* packages belong to):

  /usr/bin/python3 examples/python/subscriber.py 127.0.0.1:50051 --prefix api.
  /usr/bin/python3 examples/python/subscriber.py node:50051 --tls-ca ca.pem \\
      --tls-cert me.pem --tls-key me.key --token-file relay.token --follow
  /usr/bin/python3 examples/python/subscriber.py 127.0.0.1:50051 --health
  /usr/bin/python3 examples/python/subscriber.py 127.0.0.1:50051 --list-services

Message classes are generated from proto/firehose/v1/ingest.proto with Debian's protoc
into a temporary directory on first use (no grpc_tools package is needed); the
Subscribe call goes through channel.unary_stream with the generated serializers.
"""

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time

import grpc

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SUBSCRIBE = "/firehose.v1.Ingest/Subscribe"
HEALTH_CHECK = "/grpc.health.v1.Health/Check"
REFLECTION = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
HEALTH_STATUS = {0: "UNKNOWN", 1: "SERVING", 2: "NOT_SERVING", 3: "SERVICE_UNKNOWN"}
# Statuses after which asking again gets the same answer.
FATAL = {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED,
         grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION,
         grpc.StatusCode.OUT_OF_RANGE, grpc.StatusCode.UNIMPLEMENTED}


def load_messages(proto_root):
    """Returns the ingest_pb2 module, generating it with protoc when needed."""
    out = tempfile.mkdtemp(prefix="firehose-pb-")
    subprocess.run(["protoc", "-I", proto_root, "--python_out", out,
                    os.path.join(proto_root, "proto/firehose/v1/ingest.proto")], check=True)
    sys.path.insert(0, out)
    return importlib.import_module("proto.firehose.v1.ingest_pb2")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def make_channel(args):
    options = [("grpc.max_receive_message_length", 64 << 20),
               ("grpc.initial_reconnect_backoff_ms", 100),
               ("grpc.max_reconnect_backoff_ms", 2000)]
    if args.tls_server_name:
        options.append(("grpc.ssl_target_name_override", args.tls_server_name))
    if not args.tls_ca:
        return grpc.insecure_channel(args.address, options=options)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=read(args.tls_ca),
        private_key=read(args.tls_key) if args.tls_key else None,
        certificate_chain=read(args.tls_cert) if args.tls_cert else None)
    return grpc.secure_channel(args.address, credentials, options=options)


def decode_fields(data):
    """Minimal protobuf wire decoder: yields (field number, wire type, value)."""
    i = 0
    while i < len(data):
        key, i = decode_varint(data, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = decode_varint(data, i)
        elif wire == 2:
            length, i = decode_varint(data, i)
            value, i = data[i:i + length], i + length
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        yield field, wire, value


def decode_varint(data, i):
    shift = value = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def health(channel, timeout):
    """grpc.health.v1.Health/Check for the whole server (empty HealthCheckRequest)."""
    check = channel.unary_unary(HEALTH_CHECK)
    reply = check(b"", timeout=timeout)
    status = 0
    for field, _, value in decode_fields(reply):
        if field == 1:
            status = value
    return HEALTH_STATUS.get(status, str(status))


def list_services(channel, timeout):
    """Server reflection: ServerReflectionRequest{list_services: ""} (field 7)."""
    info = channel.stream_stream(REFLECTION)
    names = []
    for reply in info(iter([b"\x3a\x00"]), timeout=timeout):
        for field, _, value in decode_fields(reply):
            if field == 6:  # list_services_response
                for f, _, service in decode_fields(value):
                    if f == 1:
                        names += [v.decode() for g, _, v in decode_fields(service) if g == 1]
        break
    return sorted(names)


def build_request(pb, args, position):
    request = pb.SubscribeRequest(client_name=args.name)
    request.name_prefixes.extend(args.prefix)
    request.source_cidrs.extend(args.source)
    if args.shard:
        index, count = (int(x) for x in args.shard.split("/"))
        request.group.shard_index, request.group.shard_count = index, count
    # `from` is a Python keyword, hence setattr.
    if position is not None:
        request.start.epoch, request.start.seq = position
        setattr(request.start, "from", pb.StartPosition.FROM_AFTER)
    elif args.start == "earliest":
        setattr(request.start, "from", pb.StartPosition.FROM_EARLIEST)
    return request


def records(batch):
    """Yields (name, value, type letter, tags) for each statsd record of a batch."""
    s = batch.statsd
    letters = {1: "c", 2: "g", 3: "ms", 4: "h", 5: "s", 6: "d"}
    tag = 0
    for i in range(len(s.name)):
        count = s.tag_count[i] if i < len(s.tag_count) else 0
        tags = [batch.strings[t] for t in s.tags[tag:tag + count]]
        tag += count
        yield (batch.strings[s.name[i]], s.value[i], letters.get(s.type[i], "?"), tags)


def subscribe(pb, channel, args):
    """Streams until --max-records, a fatal status, or (without --follow) stream end."""
    call = channel.unary_stream(SUBSCRIBE, request_serializer=pb.SubscribeRequest.SerializeToString,
                                response_deserializer=pb.SubscribeResponse.FromString)
    metadata = [("authorization", "Bearer " + args.token)] if args.token else None
    position, printed, backoff = None, 0, 0.1
    while True:
        try:
            stream = call(build_request(pb, args, position), metadata=metadata,
                          wait_for_ready=args.follow)
            for message in stream:
                if message.HasField("notice"):
                    notice = message.notice
                    if notice.HasField("gap"):
                        gap = notice.gap
                        print("gap: missed %d records (%d batches) seq %d..%d" %
                              (gap.records, gap.batches, gap.first_seq, gap.last_seq),
                              file=sys.stderr, flush=True)
                    elif notice.HasField("epoch_change"):
                        print("epoch change: %d -> %d" % (notice.epoch_change.previous_epoch,
                                                          notice.epoch_change.epoch),
                              file=sys.stderr, flush=True)
                    continue
                batch = message.batch
                if position is not None and (batch.epoch, batch.seq) <= position:
                    continue  # never print a batch twice
                position = (batch.epoch, batch.seq)
                backoff = 0.1
                for name, value, kind, tags in records(batch):
                    line = {"node_id": batch.node_id, "epoch": batch.epoch, "seq": batch.seq,
                            "name": name, "value": value, "type": kind, "tags": tags}
                    print(json.dumps(line) if args.json else
                          "%s #%d %s:%g|%s%s" % (batch.node_id, batch.seq, name, value, kind,
                                                 "|#" + ",".join(tags) if tags else ""),
                          flush=True)
                    printed += 1
                    if args.max_records and printed >= args.max_records:
                        stream.cancel()
                        return 0
            if not args.follow:
                return 0
        except grpc.RpcError as error:
            if error.code() in FATAL or not args.follow:
                print("subscribe failed: %s: %s" % (error.code().name, error.details()),
                      file=sys.stderr)
                return 1
            print("stream ended (%s); resuming after %s in %.1fs" %
                  (error.code().name, position, backoff), file=sys.stderr, flush=True)
        time.sleep(backoff)
        backoff = min(backoff * 2, 2.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("address", help="host:port of the node's gRPC service")
    parser.add_argument("--name", default="python-example", help="subscriber name")
    parser.add_argument("--prefix", action="append", default=[], help="metric-name prefix")
    parser.add_argument("--source", action="append", default=[], help="sender CIDR")
    parser.add_argument("--shard", help="consumer-group shard I/N")
    parser.add_argument("--start", choices=["latest", "earliest"], default="latest")
    parser.add_argument("--follow", action="store_true",
                        help="reconnect and resume after the last batch when the stream ends")
    parser.add_argument("--max-records", type=int, default=0, help="stop after N records")
    parser.add_argument("--json", action="store_true", help="print NDJSON")
    parser.add_argument("--tls-ca", help="CA (PEM) the node's certificate must chain to")
    parser.add_argument("--tls-cert", help="client certificate (PEM) for mutual TLS")
    parser.add_argument("--tls-key", help="client key (PEM) for mutual TLS")
    parser.add_argument("--tls-server-name", help="name to verify the node's certificate as")
    parser.add_argument("--token-file", help="file holding this consumer's bearer token")
    parser.add_argument("--health", action="store_true", help="print the health status, exit")
    parser.add_argument("--list-services", action="store_true",
                        help="list services via server reflection, exit")
    parser.add_argument("--proto-root", default=REPO, help="directory holding proto/")
    parser.add_argument("--timeout", type=float, default=10, help="seconds, for --health etc.")
    args = parser.parse_args()
    args.token = read(args.token_file).decode().strip() if args.token_file else ""

    channel = make_channel(args)
    if args.health:
        print(health(channel, args.timeout))
        return 0
    if args.list_services:
        for name in list_services(channel, args.timeout):
            print(name)
        return 0
    return subscribe(load_messages(args.proto_root), channel, args)


if __name__ == "__main__":
    sys.exit(main())
