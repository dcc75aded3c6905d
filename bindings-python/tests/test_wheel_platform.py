"""The wheel installs on older glibc (Debian 11, Amazon Linux 2): bindings-python/script/build
links it with zig for manylinux2014. Three checks on the wheel script/test built and installed:
its platform tag, the highest glibc symbol version its native module needs (read from the ELF
with the small reader below, and with objdump too where binutils is installed), and pip's own
verdict for a glibc 2.17 machine."""

from __future__ import annotations

import os
import platform
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

MANYLINUX2014 = (2, 17)
SHT_GNU_VERNEED = 0x6FFFFFFE


def _wheel() -> Path:
    path = os.environ.get("KIRIM_WHEEL")
    assert path, "KIRIM_WHEEL is not set: run bindings-python/script/test, which builds the wheel"
    return Path(path)


def _native_module(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as z:
        natives = [n for n in z.namelist() if n.startswith("kirim/_native") and n.endswith(".so")]
        assert len(natives) == 1, natives
        return z.read(natives[0])


def _glibc(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.removeprefix("GLIBC_").split("."))


def required_symbol_versions(elf: bytes) -> set[str]:
    """The version names an ELF64 little-endian shared object needs (its SHT_GNU_verneed
    section, what `objdump -p` lists under "Version References")."""
    assert elf[:4] == b"\x7fELF" and elf[4] == 2 and elf[5] == 1, "not an ELF64 little-endian file"
    (shoff,) = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", elf, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", elf, shoff + i * shentsize) for i in range(shnum)
    ]
    names: set[str] = set()
    for _name, kind, _flags, _addr, offset, _size, link, info, _align, _entsize in sections:
        if kind != SHT_GNU_VERNEED:
            continue
        strtab = sections[link][4]

        def string(at: int) -> str:
            start = strtab + at
            return elf[start : elf.index(b"\0", start)].decode()

        need = offset
        for _ in range(info):  # sh_info: the number of Verneed entries
            _version, count, _file, aux, next_need = struct.unpack_from("<HHIII", elf, need)
            entry = need + aux
            for _ in range(count):
                _hash, _flags, _other, name, next_aux = struct.unpack_from("<IHHII", elf, entry)
                names.add(string(name))
                entry += next_aux
            need += next_need
    return names


def _highest_glibc(elf: bytes) -> tuple[int, ...]:
    glibc = [_glibc(n) for n in required_symbol_versions(elf) if n.startswith("GLIBC_")]
    # A module that needs no glibc version at all would mean the reader found nothing.
    assert glibc, "no GLIBC_ version found: the ELF reader is broken"
    return max(glibc)


def test_the_wheel_is_tagged_manylinux2014() -> None:
    wheel = _wheel()
    platforms = set(wheel.name.removesuffix(".whl").split("-")[-1].split("."))
    arch = platform.machine()
    assert platforms and platforms <= {f"manylinux2014_{arch}", f"manylinux_2_17_{arch}"}, wheel.name
    # The WHEEL metadata says the same as the file name (pip reads the name, auditors the file).
    with zipfile.ZipFile(wheel) as z:
        metadata = next(n for n in z.namelist() if n.endswith(".dist-info/WHEEL"))
        tags = re.findall(r"^Tag: (\S+)$", z.read(metadata).decode(), re.MULTILINE)
    assert tags and {t.split("-")[-1] for t in tags} == platforms, tags


def test_the_native_module_needs_at_most_glibc_2_17() -> None:
    elf = _native_module(_wheel())
    highest = _highest_glibc(elf)
    assert highest <= MANYLINUX2014, f"the native module needs GLIBC_{'.'.join(map(str, highest))}"


def test_the_elf_reader_sees_what_objdump_sees() -> None:
    # binutils' "Version References" list is the reference, on the native module and on this
    # interpreter (built for this machine's newer glibc: the reader can see a version above 2.17).
    # binutils comes with the Rust toolchain's linker on this kind of machine.
    objdump = shutil.which("objdump")
    assert objdump, "objdump not found: install binutils (apt-get install binutils)"
    with tempfile.TemporaryDirectory() as tmp:
        native = Path(tmp) / "_native.so"
        native.write_bytes(_native_module(_wheel()))
        for binary in (native, Path(os.path.realpath(sys.executable))):
            dump = subprocess.run(
                [objdump, "-p", str(binary)], check=True, capture_output=True, text=True
            ).stdout
            references = dump.split("Version References:", 1)[-1]
            expected = set(re.findall(r"0x[0-9a-f]+ 0x[0-9a-f]+ \d+ (\S+)", references))
            assert required_symbol_versions(binary.read_bytes()) == expected, binary


def test_pip_accepts_the_wheel_for_a_glibc_2_17_machine() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--no-deps",
             "--disable-pip-version-check", "--ignore-installed", "--only-binary=:all:",
             "--platform", f"manylinux_2_17_{platform.machine()}", "--python-version", "3.9",
             "--target", tmp, str(_wheel())],
            capture_output=True, text=True,
        )
    assert result.returncode == 0, result.stderr
