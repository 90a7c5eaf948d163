"""Write a report's HTML view and take a screenshot of it in headless Chromium (Debian's ``chromium``).

    python bench/screenshot_view.py OUT_DIR REPORT PNG [--code CODE] [--width 1400] [--height 900]

The page opens with a value selected (its mark pinned and its detail box shown): ``--code``, or else the first
cell of the first finding (else the first table value), so one picture shows the text, the highlights, the panel and the detail box.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from extractor.errors import ExtractorError
from extractor.view import find_record, write_view


def selected_fragment(out_dir: Path, report: str, code: str | None) -> str:
    record = find_record(out_dir, report)
    codes = [c for c, _ in record.indicators.items()]
    if code is None:
        doubted = [c for f in record.findings for c in (*f.suspects, *f.cells) if c in codes]
        in_tables = [c for c, q in record.indicators.items() if q.source.table and q.source.start is not None]
        code = next(iter(doubted + in_tables), None)
    if code is None:
        return ""
    if code not in codes:
        raise SystemExit(f"error: {report} has no value for {code!r}")
    return f"#value={code}"


def screenshot(page: str, png: Path, width: int, height: int) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("error: chromium is not installed (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        command = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
            "--virtual-time-budget=3000",  # let the selection's flash fade so the resting colors show
            f"--user-data-dir={profile}", f"--window-size={width},{height}", f"--screenshot={png.resolve()}", page,
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0 or not png.is_file():
        raise SystemExit(f"error: chromium failed ({done.returncode}): {done.stderr.strip()[-1000:]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="an output folder of `extractor extract`")
    parser.add_argument("report", help="the report's name (a unique prefix will do)")
    parser.add_argument("png", type=Path, help="where to write the screenshot")
    parser.add_argument("--code", help="the value to select (default: the first cell of the first finding)")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args(argv)
    try:
        html = write_view(args.out_dir, args.report)
        fragment = selected_fragment(args.out_dir, args.report, args.code)
    except ExtractorError as e:
        sys.exit(f"error: {e.one_line()}")
    args.png.parent.mkdir(parents=True, exist_ok=True)
    screenshot(html.resolve().as_uri() + fragment, args.png, args.width, args.height)
    print(f"{html}\n{args.png}")


if __name__ == "__main__":
    main()
