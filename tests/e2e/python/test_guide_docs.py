"""The "Testing your integration" guide's end-to-end examples (docs/testing/*-simulator.md) are
the files tests/e2e/script/test runs: each page's code block must equal its file, byte for byte."""

from __future__ import annotations

import re
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PAGES = {
    "docs/testing/python-simulator.md": ("python", "tests/e2e/python/test_guide_payout_against_simulator.py"),
    "docs/testing/js-simulator.md": ("js", "tests/e2e/node/guide-payout-against-simulator.test.mjs"),
}


def code_blocks(markdown: str, language: str) -> list[str]:
    return re.findall(r"^```" + language + r"\n(.*?)^```$", markdown, flags=re.S | re.M)


class GuideExamplesAreTheTestedFiles(unittest.TestCase):
    def test_each_page_shows_its_file(self):
        for page, (language, path) in PAGES.items():
            with self.subTest(page=page):
                blocks = code_blocks((ROOT / page).read_text(encoding="utf-8"), language)
                self.assertEqual(len(blocks), 1, f"{page}: one ```{language} block expected")
                self.assertEqual(blocks[0], (ROOT / path).read_text(encoding="utf-8"),
                                 f"{page} differs from {path}: copy the file into the page")


if __name__ == "__main__":
    unittest.main(verbosity=2)
