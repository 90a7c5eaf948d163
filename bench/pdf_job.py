"""A rules job over PDFs against the same job over their text, and OCR seconds per page (issue 17's figures).

Three inputs from the development corpus, each copied ``--copies`` times into a temporary folder: a report's text
layer PDF, that PDF's text as ``pdftotext -layout`` writes it (the job a user would run on converted files), and the
scanned variant (page images only, read by OCR). Each job is ``extractor.bulk.run`` with the rules engine in a
fresh process, start-up included, from an empty output folder, with ``--workers`` processes. Printed: seconds per
job, reports per second, the PDF ÷ text ratio (the issue's target is within 2×), and OCR seconds per page.

    python bench/pdf_job.py [--copies 30] [--workers 1] [--scan-copies 2]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rules_job import job  # one rules job in a fresh process, start-up included

DOCS = Path(__file__).resolve().parents[1] / "eval" / "corpus" / "docs"
TEXT_PDF = DOCS / "pdf-sm-city-2021-v-pdf-text.pdf"
SCAN_PDF = DOCS / "pdf-sm-city-2023-v-pdf-scan.pdf"


def copies(source: Path, folder: Path, n: int, suffix: str | None = None) -> Path:
    folder.mkdir(parents=True)
    for i in range(n):
        target = folder / f"r{i:04d}{suffix or source.suffix}"
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
    return folder


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--scan-copies", type=int, default=2, help="copies of the scan (OCR takes seconds a page)")
    args = parser.parse_args()
    if shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        sys.exit("error: needs pdftotext and pdfinfo (apt-get install poppler-utils)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        text = root / "text.txt"
        subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(TEXT_PDF), str(text)], check=True)
        runs = {
            "text (pdftotext -layout)": copies(text, root / "in-text", args.copies, ".txt"),
            "text-layer PDF": copies(TEXT_PDF, root / "in-pdf", args.copies),
        }
        if args.scan_copies > 0:
            runs["scanned PDF (OCR)"] = copies(SCAN_PDF, root / "in-scan", args.scan_copies)
        results = {name: job(folder, root / f"out-{k}", args.workers) for k, (name, folder) in enumerate(runs.items())}
    print(f"{'input':28} {'reports':>7} {'values':>7} {'seconds':>8} {'reports/s':>10}")
    for name, r in results.items():
        print(f"{name:28} {r['reports']:>7} {r['values']:>7} {r['seconds']:>8.2f} {r['reports'] / r['seconds']:>10.2f}")
    text_s, pdf_s = results["text (pdftotext -layout)"]["seconds"], results["text-layer PDF"]["seconds"]
    print(f"PDF job / text job: {pdf_s / text_s:.2f}x (target: within 2x)")
    if args.scan_copies > 0:
        scan = results["scanned PDF (OCR)"]
        n_pages = pages(SCAN_PDF) * args.scan_copies
        print(f"OCR: {scan['seconds'] / n_pages:.2f} s per page ({n_pages} pages, start-up included)")


if __name__ == "__main__":
    main()
