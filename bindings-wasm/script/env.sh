# Sourced by bindings-wasm's scripts: the repository's environment (tools, PATH, the pinned
# nightly), plus the wasm build's own settings.
source "$(dirname "${BASH_SOURCE[0]}")/../../script/env.sh"
# The package is built by stable Rust. Edge runtimes allow far more than kirim needs (Cloudflare
# Workers: 64 MiB on every plan), so readable code wins over bytes. KIRIM_WASM_NIGHTLY=1 builds
# with the pinned nightly instead (std rebuilt for size, panics as bare traps): about 10 KB
# smaller gzipped, for whoever needs it; see README "Size".
if [ "${KIRIM_WASM_NIGHTLY:-0}" = 1 ]; then
  export KIRIM_WASM_TOOLCHAIN="${KIRIM_WASM_TOOLCHAIN:-$KIRIM_NIGHTLY}"
else
  export KIRIM_WASM_TOOLCHAIN="${KIRIM_WASM_TOOLCHAIN:-stable}"
fi
# The hard limit (gzipped bytes): the build and the test fail above it.
export KIRIM_WASM_MAX_GZIP_BYTES="${KIRIM_WASM_MAX_GZIP_BYTES:-131072}" # 128 KiB
# The budget for everything, the payout lifecycle included: printed beside the size.
export KIRIM_WASM_BUDGET_GZIP_BYTES="${KIRIM_WASM_BUDGET_GZIP_BYTES:-100000}" # 100 KB
