#!/usr/bin/python3
"""What the kubelet's gRPC probe does: a plaintext grpc.health.v1.Health/Check without any
metadata. Prints SERVING, NOT_SERVING or ERROR <code>. Usage: grpc_probe.py HOST:PORT SERVICE
With --subscribe instead of SERVICE: a plaintext firehose.v1.Ingest/Subscribe (empty request);
prints OK or ERROR <code> (the health-only port must refuse it)."""
import sys

import grpc

target, service = sys.argv[1], sys.argv[2]
if service == "--subscribe":
    stream = grpc.insecure_channel(target).unary_stream(
        "/firehose.v1.Ingest/Subscribe", request_serializer=lambda x: x,
        response_deserializer=lambda x: x)
    try:
        for _ in stream(b"", timeout=3):
            break
        print("OK")
    except grpc.RpcError as e:
        print("ERROR", e.code().name)
    sys.exit(0)
# HealthCheckRequest{service} and HealthCheckResponse{status} by hand: no generated code needed.
request = (b"\n" + bytes([len(service)]) + service.encode()) if service else b""
check = grpc.insecure_channel(target).unary_unary(
    "/grpc.health.v1.Health/Check",
    request_serializer=lambda x: x, response_deserializer=lambda x: x)
try:
    response = check(request, timeout=3)
    print({b"\x08\x01": "SERVING", b"\x08\x02": "NOT_SERVING"}.get(response, repr(response)))
except grpc.RpcError as e:
    print("ERROR", e.code().name)
