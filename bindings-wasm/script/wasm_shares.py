#!/usr/bin/env python3
"""Each part's share of the .wasm: function bytes by Rust path, and what each costs gzipped.

Usage: wasm_shares.py OPTIMIZED.wasm [--ship OUT.wasm] [--before BEFORE.wasm]

OPTIMIZED.wasm is the module as wasm-opt optimized it, with its `name` section kept (`wasm-opt
-g`: the code is the same byte for byte). With --ship, the module that ships is written to
OUT.wasm: the same bytes without the custom sections, so the figures are those of the shipped
code exactly. With --before (the module wasm-opt was given), the check below on the readers.

Every function of the code section is put in exactly one group (GROUPS, first match wins,
matched anywhere in the demangled name, so a provider's trait impl, say
`<kirim::providers::pivot::wire::PayoutData as kirim::read::FromJson>::from_json`, counts for that
provider). Rust's symbol names do not carry a generic function's type arguments: the copies of
`kirim::read::Obj::req` for every field type count under kirim::read. The shares add up to the
code section; data (strings, tables) is listed apart.

A part's gzipped cost is measured, not estimated: the shipped module gzipped (-9), less the same
bytes gzipped without that part's function entries. Code that repeats a pattern (the derived JSON
readers) costs less than its share of the bytes says. The costs add up to less than the gzipped
file: what is left is what the parts share (one part's bytes compressing against another's).

Fails (exit 1) if the shares do not add up to the code section, a provider has no code (either
means the names no longer say what they used to, and the figures would mislead), or, with
--before, if wasm-opt inlined the JSON readers it is told to keep apart (script/build's
`--no-inline` pattern matches Rust paths; if those changed it would silently match nothing).

Standard library only: it runs wherever CI runs python3.
"""

import re
import sys
import zlib

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
    # The binding's exports: wasm-bindgen's shim for each (with what wasm-opt inlined into it).
    ("kirim_wasm (the binding)", r"\bkirim_wasm::|^(?!__wbindgen)\w+ multivalue shim$"),
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


def named_functions(data):
    """[(demangled name, group, entry start, entry end)] of the code section's functions, in
    order (an entry is a function's size prefix and body), and the code section's (start, end)."""
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
    exported = exported_functions(data, found[EXPORT][1]) if EXPORT in found else set()
    _, start, end = found[CODE]
    count, pos = leb(data, start)
    functions = []
    for i in range(count):
        size, body = leb(data, pos)
        name = demangle(names.get(imports + i, ""))
        group = group_of(name)
        # An entry point the binding exports under its JavaScript name has no Rust path.
        if group == UNNAMED and imports + i in exported:
            group = BINDING
        functions.append((name, group, pos, body + size))
        pos = body + size
    if pos != end:
        raise ValueError("the code section's functions do not end where the section does")
    return functions, (start, end)


def shares(data):
    """({group: bytes}, code section payload size, data section payload size)."""
    functions, (start, end) = named_functions(data)
    totals = {label: 0 for label, _ in GROUPS}
    totals[UNNAMED] = 0
    totals["(the code section's function count)"] = leb(data, start)[1] - start
    for _, group, entry_start, entry_end in functions:
        totals[group] += entry_end - entry_start
    found = {s[0]: s for s in sections(data)}
    data_size = found[DATA][2] - found[DATA][1] if DATA in found else 0
    return totals, end - start, data_size


def without_custom_sections(data):
    """The module without its custom sections (names, producers...): what `wasm-opt
    --strip-debug --strip-producers` leaves of a module optimized with -g, byte for byte."""
    out, pos = bytearray(data[:8]), 8
    while pos < len(data):
        size, start = leb(data, pos + 1)
        if data[pos] != CUSTOM:
            out += data[pos : start + size]
        pos = start + size
    return bytes(out)


def gzipped_size(data):
    """What `gzip -9` makes of `data`, less gzip's fixed header and trailer (the same for any
    input): the deflate stream zlib writes at level 9."""
    return len(zlib.compress(data, 9))


def gzipped_costs(data, groups_of_ranges):
    """{label: gzipped bytes saved without those byte ranges of `data`}."""
    whole = gzipped_size(data)
    costs = {}
    for label, ranges in groups_of_ranges.items():
        kept, at = bytearray(), 0
        for start, end in sorted(ranges):
            kept += data[at:start]
            at = end
        kept += data[at:]
        costs[label] = whole - gzipped_size(bytes(kept))
    return costs


def reader_count(data):
    """How many derived JSON readers (`<T as kirim::read::FromJson>::from_json`) are functions of
    their own."""
    return sum(1 for name, _, _, _ in named_functions(data)[0] if "kirim::read::FromJson>::from_json" in name)


def report(path, ship=None, before=None):
    with open(path, "rb") as f:
        data = f.read()
    shipped = without_custom_sections(data)
    if ship:
        with open(ship, "wb") as f:
            f.write(shipped)
    totals, code, data_size = shares(data)
    functions, _ = named_functions(data)
    # Byte ranges in the shipped module: the custom sections the named one has are all at its end
    # (wasm-opt writes the name section last), so the other sections sit at the same offsets.
    if data[: len(shipped)] != shipped:
        raise ValueError("the custom sections are not all at the module's end: the offsets would not match")
    ranges = {}
    for _, group, start, end in functions:
        ranges.setdefault(group, []).append((start, end))
    found = {s[0]: s for s in sections(data)}
    data_label = "data section (strings, tables)"
    if DATA in found:
        ranges[data_label] = [(found[DATA][1], found[DATA][2])]
    costs = gzipped_costs(shipped, ranges)
    whole = gzipped_size(shipped)
    lines = [
        f"wasm shares of the shipped module ({len(shipped)} bytes, {whole} bytes as deflated by gzip -9):"
        " code bytes by Rust path (names kept by wasm-opt -g), and what each part costs gzipped"
        " (the module gzipped, less the same without that part)"
    ]
    for label, size in sorted(totals.items(), key=lambda item: -costs.get(item[0], 0)):
        if size == 0 and label not in PROVIDERS:
            continue
        lines.append(f"  {label:<38} {size:>7} B {100 * size / code:5.1f}% of code {costs.get(label, 0):>7} B gzipped")
    lines.append(f"  {'code section':<38} {code:>7} B 100.0%")
    lines.append(f"  {data_label:<38} {data_size:>7} B {'':>13} {costs.get(data_label, 0):>7} B gzipped")
    shared = whole - sum(costs.values())
    lines.append(f"  {'shared by the parts (compressed against each other)':<68} {shared:>7} B gzipped")
    lines.append("  (a function's bytes include what wasm-opt inlined into it: each provider's `run_with`"
                 " is in kirim's `Configured::run`, the core calls the binding makes in its exports' shims)")
    problems = []
    if sum(totals.values()) != code:
        problems.append(f"the shares add up to {sum(totals.values())}, not the code section's {code}")
    problems += [f"{label} has no code: are the names there?" for label in PROVIDERS if totals[label] == 0]
    if before:
        with open(before, "rb") as f:
            readers_before = reader_count(f.read())
        readers_after = reader_count(data)
        lines.append(f"  JSON readers kept apart by wasm-opt: {readers_after} of {readers_before}")
        if readers_after * 10 < readers_before * 9:
            problems.append(
                f"wasm-opt inlined the JSON readers ({readers_after} of {readers_before} left):"
                " script/build's --no-inline pattern no longer matches their names"
            )
    return lines, problems


def main(argv):
    args, options = [], {}
    rest = iter(argv[1:])
    for arg in rest:
        if arg in ("--ship", "--before"):
            options[arg[2:]] = next(rest, None)
        else:
            args.append(arg)
    if len(args) != 1 or None in options.values():
        print(__doc__.splitlines()[2], file=sys.stderr)
        return 2
    lines, problems = report(args[0], options.get("ship"), options.get("before"))
    print("\n".join(lines))
    for problem in problems:
        print(f"wasm shares: FAILED: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
