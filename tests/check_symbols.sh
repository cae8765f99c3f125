#!/bin/sh
# Only vf_* C symbols and verifull:: C++ symbols may be exported from the library
# (HarfBuzz's check-symbols), every one of them in the version node VERIFULL_<ABI>, and the
# SONAME must match the file's ABI version. Anything else is a visibility leak.
set -eu
lib="$1"
abi="${2:-1}"
exported=$(nm -D --defined-only "$lib" | awk '{print $NF}')
[ -n "$exported" ] || { echo "no exported symbols found in $lib"; exit 1; }
names=$(printf '%s\n' "$exported" | grep -v "^VERIFULL_${abi}\$" | sed 's/@.*//')
bad=$(printf '%s\n' "$names" | grep -v -E '^(vf_[a-z0-9_]+|_ZN8verifull[0-9A-Za-z_]+|_ZNK8verifull[0-9A-Za-z_]+|_ZT[ISV]N8verifull[0-9A-Za-z_]+)$' || true)
if [ -n "$bad" ]; then
  echo "unexpected exported symbols:"
  printf '%s\n' "$bad" | c++filt
  exit 1
fi
# Nor what a public class keeps private (its Impl or State, nested and so visible unless
# src/libverifull.map leaves it out) or anything of the internal namespace detail.
internal=$(printf '%s\n' "$names" | grep -v '^vf_' | c++filt | grep -E '::(Impl|State)::|verifull::detail::' || true)
if [ -n "$internal" ]; then
  echo "internals exported:"
  printf '%s\n' "$internal"
  exit 1
fi
unversioned=$(printf '%s\n' "$exported" | grep -v "^VERIFULL_${abi}\$" | grep -v "@@VERIFULL_${abi}\$" || true)
if [ -n "$unversioned" ]; then
  echo "symbols outside the version node VERIFULL_${abi}:"
  printf '%s\n' "$unversioned" | head -20
  exit 1
fi
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
[ "$soname" = "libverifull.so.${abi}" ] || { echo "SONAME is $soname, expected libverifull.so.${abi}"; exit 1; }
echo "exported symbols ok: $(printf '%s\n' "$names" | grep -c '^vf_') vf_* and $(printf '%s\n' "$names" | grep -vc '^vf_') verifull:: C++, all @@VERIFULL_${abi}, SONAME $soname"
