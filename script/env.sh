# Sourced by the entry points: where tools live, and PATH to find them.
export KIRIM_TOOLS="${KIRIM_TOOLS:-$HOME/.cache/kirim-tools}"
mkdir -p "$KIRIM_TOOLS/bin"
case ":$PATH:" in
  *":$KIRIM_TOOLS/bin:"*) ;;
  *) export PATH="$KIRIM_TOOLS/bin:$PATH" ;;
esac
[ -f "$HOME/.cargo/env" ] && source "$HOME/.cargo/env"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
