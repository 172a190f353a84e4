"""Copy the parts of the npm package @sveltia/cms that the admin page needs into generator/dangjian/cms_vendor/.

`python scripts/vendor_sveltia.py` runs `npm pack @sveltia/cms@VERSION`, checks the tarball
against the pinned npm integrity (sha512), and copies what `dangjian.cms.vendor()` reads: the
browser script, the Chinese UI strings, the three fonts with their licences and the licence.
It then runs `cms.vendor()` on the copy, so a release whose CDN addresses moved stops here
instead of shipping a page that calls a CDN. `--tgz FILE` uses a tarball fetched elsewhere (an
intranet mirror). Upgrading: change VERSION and INTEGRITY (`npm view @sveltia/cms@X dist.integrity`),
run, check `dangjian cms --package` in a browser, and review `git diff generator/dangjian/cms_vendor`.
Nothing here runs at build time.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "generator"))

from dangjian import cms  # noqa: E402 - the package under generator/, found through the path above

VERSION = "0.221.1"
INTEGRITY = "sha512-J+Qoik9kGMk2L7vNpOQrnDmFRi+NB6vwJ0f657YtsxWH0P8WYSYRRSRC2pQ/jGGbVlM//Pg/WIgmkpswqoo3gQ=="
TARGET = REPO / "generator" / "dangjian" / "cms_vendor"
FILES = ["LICENSE.txt", f"dist/{cms.SCRIPT_NAME}", f"locales/{cms.UI_LOCALE}.json"]
FONTS = ("source-sans-3", "noto-mono", "material-symbols-outlined")


def integrity(data: bytes) -> str:
    """npm's integrity string of a tarball."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def fetch(version: str, into: Path) -> Path:
    done = subprocess.run(
        ["npm", "pack", f"@sveltia/cms@{version}", "--pack-destination", str(into)],
        capture_output=True,
        text=True,
        check=True,
    )
    return into / done.stdout.strip().splitlines()[-1]


def vendor(tgz: Path, expected: str, target: Path) -> list[str]:
    """Check `tgz` against `expected`, copy the needed files into `target`; the paths copied."""
    data = tgz.read_bytes()
    if integrity(data) != expected:
        raise SystemExit(f"{tgz}: integrity {integrity(data)} is not the pinned {expected}")
    with tempfile.TemporaryDirectory() as scratch:
        with tarfile.open(tgz) as archive:
            archive.extractall(scratch, filter="data")  # no links out, no absolute paths
        package = Path(scratch) / "package"
        assets = sorted((package / "npm" / "assets").glob("*"))
        wanted = FILES + [
            f"npm/assets/{p.name}" for p in assets if p.name.startswith(FONTS) and p.suffix in (".woff2", ".txt")
        ]
        cms.vendor(package)  # refuses a bundle whose CDN addresses it cannot replace
        if target.exists():
            if any(target.iterdir()) and not (target / "SOURCE").is_file():
                raise SystemExit(f"{target} is not empty and was not made by this script: not replacing it")
            shutil.rmtree(target)
        for rel in wanted:
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(package / rel, target / rel)
    (target / "SOURCE").write_text(
        f"@sveltia/cms {tgz.name}\nintegrity {expected}\nfiles {' '.join(sorted(wanted))}\n"
        "copied by scripts/vendor_sveltia.py; dangjian.cms.vendor() replaces the CDN addresses when writing /admin/\n",
        encoding="utf-8",
    )
    cms.vendor(target)  # the copy is complete
    return sorted(wanted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tgz", type=Path, help="a tarball of @sveltia/cms already fetched")
    parser.add_argument("--integrity", default=INTEGRITY, help="its npm integrity (default: the pinned one)")
    parser.add_argument("--target", type=Path, default=TARGET)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        tgz = args.tgz or fetch(VERSION, Path(scratch))
        for rel in vendor(tgz, args.integrity, args.target):
            print(rel)


if __name__ == "__main__":
    main()
