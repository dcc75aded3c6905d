#!/usr/bin/env python3
"""Each part's share of the .wasm: function body bytes summed by Rust path.

Usage: wasm_shares.py MODULE.wasm [GZIPPED_TOTAL]

MODULE.wasm must keep its `name` section (bindings-wasm/script/build passes the optimized module
before the names are stripped). Every function of the code section is put in exactly one group
(GROUPS, first match wins, matched anywhere in the demangled name, so a provider's trait impl, say
`<kirim::providers::pivot::wire::PayoutData as kirim::read::FromJson>::from_json`, counts for that
provider). Rust's symbol names do not carry a generic function's type arguments: the copies of
`kirim::read::Obj::req` for every field type count under kirim::read. The shares add up to the
code section; data (strings, tables) is listed apart.
With GZIPPED_TOTAL, each share is also shown as that fraction of the gzipped file, an estimate:
code compresses about as well whoever owns it.

Fails (exit 1) if the shares do not add up to the code section or a provider has no code: either
means the names no longer say what they used to, and the figures would mislead.

Standard library only: it runs wherever CI runs python3.
"""

import re
import sys

# (label, pattern); the first pattern found anywhere in a function's name wins.
GROUPS = [
    ("kirim::providers::pivot", r"kirim::providers::pivot\b"),
    ("kirim::providers::gateway", r"kirim::providers::gateway\b"),
    ("kirim::providers::paperid", r"kirim::providers::paperid\b"),
    ("kirim::lifecycle", r"kirim::lifecycle\b"),
    # The JSON text layer's own functions (its crate is built at opt-level 3); kirim's types'
    # impls of its traits (`<kirim::money::Money as kirim_json::write::ToJson>`) count below.
    ("kirim-json (JSON text, opt-level 3)", r"^kirim_json::"),
    ("kirim::read, ::write, ::json (JSON)", r"\bkirim(::(read|write|json)|_json)::"),
    ("kirim::operations (JSON interface)", r"\bkirim::(model_)?operations::"),
    ("kirim (the rest of the core)", r"\bkirim::"),
    ("kirim_wasm (the binding)", r"\bkirim_wasm::"),
    ("wasm-bindgen", r" shim$|\bwasm_bindgen\b|__wbindgen|__wbg_|__externref"),
    ("serde, serde_json", r"\bserde(_json)?::"),
    ("sha2, hmac, md5, digest", r"\b(sha2|hmac|md5|digest|block_buffer|crypto_common)::"),
    ("other crates", r"\b(base64|hex|percent_encoding|itoa|ryu|zeroize|subtle|thiserror)::"),
    # `core[c5930c85a12de822]::...`: the prebuilt std's names carry their crate's hash.
    ("std, alloc, core, dlmalloc", r"\b(std|alloc|core|dlmalloc|compiler_builtins|__rustc)(\[[0-9a-f]+\])?::"
        r"|^<(char|str|bool|[iu](8|16|32|64|128|size)|\[u8\])>::|^(memcpy|memmove|memset|memcmp|__multi3|__[a-z]+ti3)$"),
]
PROVIDERS = [label for label, _ in GROUPS[:3]]
BINDING = next(label for label, _ in GROUPS if label.startswith("kirim_wasm"))
UNNAMED = "unnamed or unrecognised"
CODE, DATA, IMPORT, EXPORT, CUSTOM = 10, 11, 2, 7, 0


def leb(data, pos):
    """An unsigned LEB128 at `pos`: (value, position after it)."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def sections(data):
    """[(id, payload start, payload end)] of a wasm module."""
    if data[:4] != b"\0asm":
        raise ValueError("not a wasm module")
    out, pos = [], 8
    while pos < len(data):
        section_id = data[pos]
        size, start = leb(data, pos + 1)
        out.append((section_id, start, start + size))
        pos = start + size
    return out


def name_of(data, start):
    length, pos = leb(data, start)
    return data[pos : pos + length].decode("utf-8", "replace"), pos + length


def imported_functions(data, start):
    """How many functions the import section brings in (they come first in the index space)."""
    count, pos = leb(data, start)
    functions = 0
    for _ in range(count):
        _, pos = name_of(data, pos)
        _, pos = name_of(data, pos)
        kind = data[pos]
        pos += 1
        if kind == 0:  # function: a type index
            _, pos = leb(data, pos)
            functions += 1
        elif kind == 1:  # table: a reference type, then limits
            pos = skip_limits(data, pos + 1)
        elif kind == 2:  # memory: limits
            pos = skip_limits(data, pos)
        elif kind == 3:  # global: a value type and mutability
            pos += 2
        elif kind == 4:  # tag: an attribute and a type index
            _, pos = leb(data, pos + 1)
        else:
            raise ValueError(f"unknown import kind {kind}")
    return functions


def skip_limits(data, pos):
    flags = data[pos]
    _, pos = leb(data, pos + 1)
    if flags & 1:
        _, pos = leb(data, pos)
    return pos


def function_names(data, start, end):
    """{function index: name} from the `name` custom section's function names (subsection 1)."""
    pos = start
    while pos < end:
        kind = data[pos]
        size, pos = leb(data, pos + 1)
        if kind == 1:
            count, at = leb(data, pos)
            names = {}
            for _ in range(count):
                index, at = leb(data, at)
                names[index], at = name_of(data, at)
            return names
        pos += size
    return {}


# Rust's legacy mangling (`_ZN...E`), for modules whose names were not demangled already
# (wasm-bindgen demangles; a raw rustc module does not).
ESCAPES = {"LT": "<", "GT": ">", "RF": "&", "BP": "*", "C": ",", "SP": "@", "LP": "(", "RP": ")"}


def demangle(name):
    if not name.startswith("_ZN") or not name.endswith("E"):
        return name
    parts, pos = [], 3
    while pos < len(name) - 1:
        digits = re.match(r"\d+", name[pos:])
        if digits is None:
            return name
        pos += len(digits.group())
        parts.append(name[pos : pos + int(digits.group())])
        pos += int(digits.group())
    if parts and re.fullmatch(r"h[0-9a-f]{16}", parts[-1]):
        parts.pop()

    def unescape(part):
        if part.startswith("_$"):
            part = part[1:]
        part = re.sub(r"\$u([0-9a-f]+)\$", lambda m: chr(int(m.group(1), 16)), part)
        part = re.sub(r"\$([A-Z]+)\$", lambda m: ESCAPES.get(m.group(1), m.group(0)), part)
        return part.replace("..", "::")

    return "::".join(unescape(part) for part in parts)


def exported_functions(data, start):
    """The indices of the functions the module exports (the binding's `#[wasm_bindgen]` entry
    points keep their JavaScript names, with no Rust path)."""
    count, pos = leb(data, start)
    indices = set()
    for _ in range(count):
        _, pos = name_of(data, pos)
        kind = data[pos]
        index, pos = leb(data, pos + 1)
        if kind == 0:
            indices.add(index)
    return indices


def group_of(name):
    for label, pattern in GROUPS:
        if re.search(pattern, name):
            return label
    return UNNAMED


def shares(data):
    """({group: bytes}, code section payload size, data section payload size).

    Each function counts its whole entry in the code section (its size prefix and body); the
    section's leading count is counted apart, so the groups plus it equal the section exactly.
    """
    found = {s[0]: s for s in sections(data)}
    if CODE not in found:
        raise ValueError("the module has no code section")
    imports = imported_functions(data, found[IMPORT][1]) if IMPORT in found else 0
    names = {}
    for section_id, start, end in sections(data):
        if section_id == CUSTOM:
            title, pos = name_of(data, start)
            if title == "name":
                names = function_names(data, pos, end)
    _, start, end = found[CODE]
    count, pos = leb(data, start)
    totals = {label: 0 for label, _ in GROUPS}
    totals[UNNAMED] = 0
    totals["(the code section's function count)"] = pos - start
    exported = exported_functions(data, found[EXPORT][1]) if EXPORT in found else set()
    shimmed = {name for name in names.values() if name.endswith(" shim")}
    for i in range(count):
        size, body = leb(data, pos)
        entry = body + size - pos
        name = demangle(names.get(imports + i, ""))
        group = group_of(name)
        # wasm-bindgen exports an entry point itself or through a shim named after it.
        if group == UNNAMED and (imports + i in exported or f"{name} multivalue shim" in shimmed):
            group = BINDING
        totals[group] += entry
        pos = body + size
    if pos != end:
        raise ValueError("the code section's functions do not end where the section does")
    data_size = found[DATA][2] - found[DATA][1] if DATA in found else 0
    return totals, end - start, data_size


def size_without_custom_sections(data):
    """The module's size once its names and other custom sections are stripped."""
    return len(data) - sum(end - start for section_id, start, end in sections(data) if section_id == CUSTOM)


def report(path, gzipped=None):
    with open(path, "rb") as f:
        data = f.read()
    totals, code, data_size = shares(data)
    stripped = size_without_custom_sections(data)
    lines = [f"wasm shares: function bytes by Rust path, before wasm-opt ({stripped} bytes without names)"]
    if gzipped:
        lines[0] += f"; gzipped: that share of the {gzipped} gzipped bytes after wasm-opt, estimated"
    for label, size in sorted(totals.items(), key=lambda item: -item[1]):
        if size == 0 and label not in PROVIDERS:
            continue
        row = f"  {label:<38} {size:>7} B {100 * size / code:5.1f}% of code"
        if gzipped:
            row += f"  ~{round(gzipped * size / stripped):>6} B gzipped"
        lines.append(row)
    lines.append(f"  {'code section':<38} {code:>7} B 100.0%")
    row = f"  {'data section (strings, tables)':<38} {data_size:>7} B"
    if gzipped:
        row += f"{'':>17}~{round(gzipped * data_size / stripped):>6} B gzipped"
    lines.append(row)
    problems = []
    if sum(totals.values()) != code:
        problems.append(f"the shares add up to {sum(totals.values())}, not the code section's {code}")
    problems += [f"{label} has no code: are the names there?" for label in PROVIDERS if totals[label] == 0]
    return lines, problems


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    lines, problems = report(argv[1], int(argv[2]) if len(argv) == 3 else None)
    print("\n".join(lines))
    for problem in problems:
        print(f"wasm shares: FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
