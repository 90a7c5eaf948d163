"""A wheel built from the repository finds its prompts, codebook and schemas without the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"wheel build failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return next(out.glob("extractor-*.whl"))


def test_wheel_bundles_the_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "extractor/_bundled/prompts/v1.toml",
        "extractor/_bundled/prompts/v2.toml",
        "extractor/_bundled/schemas/codebook.csv",
        "extractor/_bundled/schemas/report_record.schema.json",
    ):
        assert needed in names


def test_installed_wheel_runs_without_the_checkout(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import extractor, extractor.prompts as p, extractor.codebook as c, extractor.resources as r;"
        "assert extractor.__file__.startswith(sys.argv[1]), extractor.__file__;"
        "assert r.repo_root() is None;"
        "print(p.load_prompt('v2').version, len(c.codebook()), r.data_dir('schemas'))"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(site)], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    version, codes, schemas = done.stdout.split()
    assert version == "v2" and int(codes) > 280 and schemas.startswith(str(site))
