#!/usr/bin/env python3
"""Tests of wasm_shares.py on a module built here, byte by byte: the shares add up to the code
section, each group gets its functions, a module without names fails the check, the shipped
module is the named one without its custom sections, a part's gzipped cost is measured, and
readers wasm-opt inlined fail the check.
Run: python3 bindings-wasm/script/test_wasm_shares.py"""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import panic_sites  # noqa: E402
import wasm_shares  # noqa: E402


def leb(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def name(text):
    raw = text.encode()
    return leb(len(raw)) + raw


def section(section_id, payload):
    return bytes([section_id]) + leb(len(payload)) + payload


def vector(items):
    return leb(len(items)) + b"".join(items)


def module(bodies, names, exports=()):
    """One imported function (index 0), then one function per body, all of type () -> ()."""
    types = section(1, vector([b"\x60\x00\x00"]))
    imports = section(2, vector([name("env") + name("imported") + b"\x00\x00"]))
    functions = section(3, vector([b"\x00"] * len(bodies)))
    export = section(7, vector([name(n) + b"\x00" + leb(i) for n, i in exports]))
    # A body: no locals, `size - 2` nops, end.
    code = section(10, vector([leb(size) + b"\x00" + b"\x01" * (size - 2) + b"\x0b" for size in bodies]))
    function_names = vector([leb(i) + name(n) for i, n in names.items()])
    custom = section(0, name("name") + b"\x01" + leb(len(function_names)) + function_names)
    return b"\0asm\x01\0\0\0" + types + imports + functions + export + code + custom


PIVOT_MANGLED = "_ZN5kirim9providers5pivot5Pivot3new17h0123456789abcdefE"
NAMES = {
    0: "imported",
    1: PIVOT_MANGLED,
    2: "kirim::providers::gateway::Gateway::new::h0123456789abcdef",
    3: "serde_json::from_str<kirim::providers::paperid::Callback>",
    4: "kirim::lifecycle::machine::PayoutLifecycle<P>::poll",
    5: "core[c5930c85a12de822]::fmt::write",
    6: "runOperation",
    7: "kirim::read::Obj::req<kirim::money::Money>",
    8: "kirim::money::Money::parse",
    9: "kirim_json::parse::Parser::value",
    10: "<kirim::money::Money as kirim_json::write::ToJson>::write_json",
}
BODIES = [10, 20, 300, 40, 50, 6, 30, 60, 70, 8]


class Shares(unittest.TestCase):
    def totals(self, data):
        totals, code, _ = wasm_shares.shares(data)
        self.assertEqual(sum(totals.values()), code, "the shares must add up to the code section")
        return totals

    def test_each_function_counts_for_its_group(self):
        totals = self.totals(module(BODIES, NAMES, exports=[("runOperation", 6)]))
        # An entry counts its size prefix (one byte here, two for the 300-byte body).
        self.assertEqual(totals["kirim::providers::pivot"], 11)
        self.assertEqual(totals["kirim::providers::gateway"], 21)
        self.assertEqual(totals["kirim::providers::paperid"], 302)
        self.assertEqual(totals["kirim::lifecycle"], 41)
        self.assertEqual(totals["std, alloc, core, dlmalloc"], 51)
        self.assertEqual(totals["kirim_wasm (the binding)"], 7)
        self.assertEqual(totals["kirim::read, ::write, ::json (JSON)"], 31 + 9)
        self.assertEqual(totals["kirim-json (JSON text, opt-level 3)"], 71)
        self.assertEqual(totals["kirim (the rest of the core)"], 61)
        self.assertEqual(totals[wasm_shares.UNNAMED], 0)

    def test_report_passes_with_every_provider(self):
        lines, problems = self.report(module(BODIES, NAMES))
        self.assertEqual(problems, [])
        self.assertTrue(any(line.lstrip().startswith("kirim::providers::paperid") for line in lines))

    def test_shims_of_the_binding_s_exports_count_for_the_binding(self):
        self.assertEqual(wasm_shares.group_of("runOperation multivalue shim"), wasm_shares.BINDING)
        self.assertEqual(wasm_shares.group_of("__wbindgen_malloc multivalue shim"), "wasm-bindgen")

    def test_the_shipped_module_is_the_same_without_its_custom_sections(self):
        data = module(BODIES, NAMES)
        with tempfile.TemporaryDirectory() as folder:
            named, shipped = os.path.join(folder, "named.wasm"), os.path.join(folder, "shipped.wasm")
            with open(named, "wb") as f:
                f.write(data)
            _, problems = wasm_shares.report(named, ship=shipped)
            with open(shipped, "rb") as f:
                out = f.read()
        self.assertEqual(problems, [])
        kept = [section for section in wasm_shares.sections(data) if section[0] != wasm_shares.CUSTOM]
        self.assertEqual([s[0] for s in wasm_shares.sections(out)], [s[0] for s in kept])
        # The custom (name) section is last here, so the rest is the module's start, byte for byte.
        self.assertEqual(out, data[: len(out)])
        self.assertLess(len(out), len(data))

    def test_a_part_s_gzipped_cost_is_what_the_module_saves_without_it(self):
        noise = bytes((i * 7919 + (i >> 3) * 104729) % 251 for i in range(4000))
        data = b"a" * 4000 + noise
        costs = wasm_shares.gzipped_costs(data, {"repeats": [(0, 4000)], "noise": [(4000, 8000)]})
        size = wasm_shares.gzipped_size
        self.assertEqual(costs["repeats"], size(data) - size(noise))
        self.assertEqual(costs["noise"], size(data) - size(b"a" * 4000))
        # 4,000 repeated bytes cost next to nothing; bytes with little repetition cost far more.
        self.assertLess(costs["repeats"], 100)
        self.assertGreater(costs["noise"], 10 * costs["repeats"])

    def test_readers_inlined_by_wasm_opt_fail_the_check(self):
        readers = {i: f"<kirim::providers::pivot::wire::T{i} as kirim::read::FromJson>::from_json" for i in range(1, 11)}
        names = {0: "imported", **readers, 11: "kirim::providers::gateway::Gateway::new", 12: "kirim::providers::paperid::PaperId::new"}
        before = module([10] * 12, names)
        kept_apart = module([10] * 12, names)
        inlined = module([10] * 3, {0: "imported", 1: readers[1], 2: names[11], 3: names[12]})
        with tempfile.TemporaryDirectory() as folder:
            paths = {}
            for label, data in (("before", before), ("apart", kept_apart), ("inlined", inlined)):
                paths[label] = os.path.join(folder, f"{label}.wasm")
                with open(paths[label], "wb") as f:
                    f.write(data)
            lines, problems = wasm_shares.report(paths["apart"], before=paths["before"])
            self.assertEqual(problems, [])
            self.assertIn("  JSON readers kept apart by wasm-opt: 10 of 10", lines)
            _, problems = wasm_shares.report(paths["inlined"], before=paths["before"])
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("--no-inline pattern no longer matches", problems[0])

    def test_a_module_without_names_fails(self):
        _, problems = self.report(module(BODIES, {}))
        self.assertEqual(len(problems), 3, problems)
        self.assertTrue(all("has no code" in problem for problem in problems))

    def test_demangle(self):
        self.assertEqual(wasm_shares.demangle(PIVOT_MANGLED), "kirim::providers::pivot::Pivot::new")
        self.assertEqual(
            wasm_shares.demangle("_ZN4core3ptr41drop_in_place$LT$kirim..read..Lenient$GT$17h0123456789abcdefE"),
            "core::ptr::drop_in_place<kirim::read::Lenient>",
        )
        self.assertEqual(wasm_shares.demangle("runOperation"), "runOperation")

    def report(self, data):
        with tempfile.NamedTemporaryFile(suffix=".wasm") as f:
            f.write(data)
            f.flush()
            return wasm_shares.report(f.name)


class PanicSites(unittest.TestCase):
    """panic_sites.py: kirim's own source paths in the data are panic sites; std's and the
    registry's are not, and a path glued to the string before it is still found."""

    def test_own_paths_are_found_once_each(self):
        data = (
            b"\0\x01attempt to divide by zerocore/src/money.rs\0"
            b"/rustc/59807616e1fa/library/core/src/str/pattern.rs"
            b"/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/hex-0.4.3/src/lib.rs"
            b"/tmp/ci/main/json/src/parse.rs core/src/money.rs"
        )
        self.assertEqual(panic_sites.own_panic_sites(data), ["core/src/money.rs", "json/src/parse.rs"])

    def test_std_and_registry_only_is_clean(self):
        data = b"/rustc/abc/library/alloc/src/vec/mod.rs/rust/deps/dlmalloc-0.2.11/src/dlmalloc.rs"
        self.assertEqual(panic_sites.own_panic_sites(data), [])


if __name__ == "__main__":
    unittest.main()
