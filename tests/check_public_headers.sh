#!/bin/sh
# The public headers hold only the API (docs/design.md, "The public surface"): nothing of
# the internal namespace detail, no accessor to an implementation, no test hook.
set -eu
dir="$1"
found=$(grep -rnE 'detail::|namespace detail|[A-Za-z_]+& impl\(\)|data\(\) const \{|exposed for tests' "$dir" || true)
if [ -n "$found" ]; then
  echo "internals in the public headers:"
  printf '%s\n' "$found"
  exit 1
fi
echo "public headers ok: $(find "$dir" -name '*.h*' | wc -l) files without internals"
