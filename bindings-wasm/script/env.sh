# Sourced by bindings-wasm's scripts: the repository's environment (tools, PATH, the pinned
# nightly), plus the wasm build's own settings.
source "$(dirname "${BASH_SOURCE[0]}")/../../script/env.sh"
# The .wasm is built with the pinned nightly: std rebuilt for size (-Zbuild-std) with panics as
# bare traps (-Cpanic=immediate-abort), which std as shipped cannot do (see README "Size").
# KIRIM_WASM_STABLE=1 builds with stable instead (about 13 KB larger gzipped).
export KIRIM_WASM_TOOLCHAIN="${KIRIM_WASM_TOOLCHAIN:-$KIRIM_NIGHTLY}"
# The size the build and the test fail above (gzipped bytes). The package's build must meet issue
# 4's limit, 80 KiB; a KIRIM_WASM_STABLE=1 build (not what the package ships: about 91 KB) only
# a regression ceiling just over its size.
if [ "${KIRIM_WASM_STABLE:-0}" = 1 ]; then
  KIRIM_WASM_DEFAULT_CEILING=102400 # 100 KiB
else
  KIRIM_WASM_DEFAULT_CEILING="${KIRIM_WASM_MAX_GZIP_BYTES:-81920}" # the limit itself
fi
