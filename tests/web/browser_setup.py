"""Debian's Chromium and ChromeDriver for the real-browser test (test_browser.py): installed
with apt-get when missing. Standard library only: `dev.py test` runs this file before pytest,
and the test's session fixture calls ensure_chromium() for a bare `pytest` run.

    python tests/web/browser_setup.py     # exit 1, saying why, when they cannot be installed
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PACKAGES = ("chromium", "chromium-driver")
# Another apt-get (a second test run, the machine's own updates) may hold dpkg's lock.
APT = ["apt-get", "-q", "-o", "DPkg::Lock::Timeout=300"]


class ChromiumMissing(RuntimeError):
    pass


def installed() -> bool:
    return CHROMIUM.exists() and CHROMEDRIVER.exists()


def ensure_chromium() -> None:
    """Install Chromium and ChromeDriver unless present; ChromiumMissing says why not."""
    if installed():
        return
    if shutil.which("apt-get") is None:
        raise ChromiumMissing("the browser test needs Debian's chromium and chromium-driver "
                              f"({CHROMIUM}, {CHROMEDRIVER}); no apt-get here to install them")
    print(f"installing {' '.join(PACKAGES)} for the browser test (apt-get) ...", flush=True)
    output = _apt("install", "-y", *PACKAGES)
    if not installed():  # perhaps a stale package list: refresh it once
        output = _apt("update") + _apt("install", "-y", *PACKAGES)
    if not installed():
        raise ChromiumMissing("apt-get could not install chromium and chromium-driver for the "
                              "browser test:\n" + output[-2000:])


def _apt(*args: str) -> str:
    result = subprocess.run([*APT, *args], capture_output=True, text=True,
                            stdin=subprocess.DEVNULL)
    return result.stdout + result.stderr


def must_have_browser() -> bool:
    """Whether a missing browser is a failure: in CI, or wherever apt-get could install it.
    Elsewhere (a developer's machine without Debian's packages) the browser test is skipped."""
    return bool(os.environ.get("CI")) or shutil.which("apt-get") is not None


if __name__ == "__main__":
    try:
        ensure_chromium()
    except ChromiumMissing as error:
        if must_have_browser():
            sys.exit(str(error))
        print(f"{error}\nthe browser test will be skipped", flush=True)
