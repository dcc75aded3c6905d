#!/usr/bin/env python3
"""Fails if the production .wasm can panic in kirim's own code.

Usage: panic_sites.py MODULE.wasm

A panic in the module leaves its instance unsound (the package then rebuilds it), and the core's
rule is that hostile input gets a typed error, never a panic. Clippy denies `unwrap`, `expect`,
`panic!` and indexing, but not every call that can panic (`Vec::remove`, `%` by a value the
compiler cannot prove non-zero). Each panic site that survives optimisation keeps its source
file's path in the data section (its `Location`), so a path of one of kirim's crates there is a
panic path left in kirim's code. Paths of std (`/rustc/<hash>/library/...`) and of crates from
the registry are other people's code and are not checked.

Standard library only: it runs wherever CI runs python3.
"""

import re
import sys

# kirim's crates, by their folder in the workspace; a path may be relative or absolute.
OWN = re.compile(rb"(core|json|derive|bindings-wasm)/src/[\w/]+\.rs")
OTHERS = (b"/library/", b"/registry/", b"/rust/deps/", b"/.cargo/")
# Paths are glued to each other too: one ends at its first `.rs`.
PATH = re.compile(rb"(?:(?!\.rs)[\w./-])+\.rs")


def own_panic_sites(data):
    """The source paths of kirim's crates found in the module, each once, in order."""
    found = []
    for match in PATH.finditer(data):
        path = match.group()
        if any(other in path for other in OTHERS):
            continue
        own = OWN.search(path)
        if own is None:
            continue
        # The data section glues strings together: keep the path from its crate's folder on.
        text = path[own.start(1) :].decode("utf-8", "replace")
        if text not in found:
            found.append(text)
    return found


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[1], "rb") as module:
        sites = own_panic_sites(module.read())
    if sites:
        print("panic sites: kirim's code can still panic in " + ", ".join(sites))
        print("  (a call clippy does not deny: find it in that file and make it total)")
        return 1
    print("panic sites: none in kirim's own code")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
