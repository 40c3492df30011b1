"""cc_grpc_library: C++ protobuf + gRPC code generation with the system protoc.

Bazel 4 offline cannot fetch rules_proto or grpc's own Bazel rules, so this macro runs
Debian's `protoc` and `grpc_cpp_plugin` in a genrule and wraps the output in a
cc_library. Generated headers are included by workspace-relative path, e.g.
`#include "proto/firehose/v1/ingest.grpc.pb.h"`.
"""

def cc_grpc_library(name, srcs, deps = [], grpc = True, visibility = None):
    """Generates message (and, when grpc is True, service) code for `srcs`.

    Args:
      name: name of the resulting cc_library.
      srcs: .proto files in this package.
      deps: other cc_grpc_library targets whose protos these import.
      grpc: also generate gRPC service stubs.
      visibility: visibility of the cc_library.
    """
    pkg = native.package_name()
    bases = [src[:-len(".proto")] for src in srcs]
    hdrs = [b + ".pb.h" for b in bases]
    cc_srcs = [b + ".pb.cc" for b in bases]
    if grpc:
        hdrs += [b + ".grpc.pb.h" for b in bases]
        cc_srcs += [b + ".grpc.pb.cc" for b in bases]

    proto_paths = " ".join(["%s/%s" % (pkg, s) if pkg else s for s in srcs])
    grpc_flags = ""
    if grpc:
        grpc_flags = "--plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin --grpc_out=$(GENDIR)"
    native.genrule(
        name = name + "_codegen",
        srcs = srcs + [d + "_protos" for d in deps],
        outs = hdrs + cc_srcs,
        cmd = "protoc -I. -I/usr/include --cpp_out=$(GENDIR) %s %s" % (grpc_flags, proto_paths),
        message = "protoc " + proto_paths,
    )
    native.filegroup(
        name = name + "_protos",
        srcs = srcs + [d + "_protos" for d in deps],
        visibility = visibility,
    )
    native.cc_library(
        name = name,
        srcs = cc_srcs,
        hdrs = hdrs,
        deps = deps + (["//bazel:grpcpp"] if grpc else ["//bazel:protobuf"]),
        visibility = visibility,
    )
