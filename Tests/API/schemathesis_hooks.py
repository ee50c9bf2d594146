"""schemathesis hooks for Tests/API/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

The sync protocol's batch media type is opaque bytes to schemathesis: send generated
bytes as they are, the way application/octet-stream is sent, so the push decoder sees
garbage, truncated and oversized bodies.
"""
import schemathesis

schemathesis.serializer.alias("application/vnd.stockroom.batch+deflate", "application/octet-stream")
