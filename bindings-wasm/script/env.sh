# Sourced by bindings-wasm's scripts: where the tools live, and PATH to find them.
export KIRIM_TOOLS="${KIRIM_TOOLS:-$HOME/.cache/kirim-tools}"
mkdir -p "$KIRIM_TOOLS/bin"
case ":$PATH:" in
  *":$KIRIM_TOOLS/bin:"*) ;;
  *) export PATH="$KIRIM_TOOLS/bin:$PATH" ;;
esac
if [ -f "$HOME/.cargo/env" ]; then source "$HOME/.cargo/env"; fi
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
