#!/bin/sh
# Only vf_* C symbols and verifull:: C++ symbols may be exported from the library
# (HarfBuzz's check-symbols). Anything else is a visibility leak.
set -eu
lib="$1"
exported=$(nm -D --defined-only "$lib" | awk '{print $NF}')
[ -n "$exported" ] || { echo "no exported symbols found in $lib"; exit 1; }
bad=$(printf '%s\n' "$exported" | grep -v -E '^(vf_[a-z0-9_]+|_ZN8verifull[0-9A-Za-z_]+|_ZNK8verifull[0-9A-Za-z_]+|_ZT[ISV]N8verifull[0-9A-Za-z_]+)$' || true)
if [ -n "$bad" ]; then
  echo "unexpected exported symbols:"
  printf '%s\n' "$bad" | c++filt
  exit 1
fi
echo "exported symbols ok: $(printf '%s\n' "$exported" | grep -c '^vf_') vf_* and $(printf '%s\n' "$exported" | grep -vc '^vf_') verifull:: C++"
