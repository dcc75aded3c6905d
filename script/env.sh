# Sourced by the entry points: where tools live, and PATH to find them.
export KIRIM_TOOLS="${KIRIM_TOOLS:-$HOME/.cache/kirim-tools}"
mkdir -p "$KIRIM_TOOLS/bin"
case ":$PATH:" in
  *":$KIRIM_TOOLS/bin:"*) ;;
  *) export PATH="$KIRIM_TOOLS/bin:$PATH" ;;
esac
[ -f "$HOME/.cargo/env" ] && source "$HOME/.cargo/env"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# The one pinned nightly, for what stable cannot do: the size build of the .wasm (-Zbuild-std,
# bindings-wasm/script/build) and fuzzing (cargo-fuzz's sanitizer flags). Pinned so that the same
# sources give the same .wasm and the fuzz build does not move under us.
export KIRIM_NIGHTLY="${KIRIM_NIGHTLY:-nightly-2026-05-20}"
