"""Reading a PDF as a person and as assistive technology would: its words, fonts and tags."""

import io
import os
import re
import shutil
import subprocess
import tempfile

import pytest

TOOLS = ["pdftotext", "pdffonts", "pdfinfo"]  # poppler-utils
_missing = [tool for tool in [*TOOLS, "/usr/bin/chromium"] if not shutil.which(tool)]
# CI installs them (.ci/run): there a missing tool fails the tests instead of skipping them.
needs_pdf_tools = pytest.mark.skipif(
    bool(_missing) and not os.environ.get("CI"),
    reason=f"missing {', '.join(_missing)}: apt-get install chromium poppler-utils",
)


def _poppler(tool: str, data: bytes, *args: str) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(data)
        file.flush()
        return subprocess.run(
            [tool, *args, file.name, *(["-"] if tool == "pdftotext" else [])],
            check=True,
            capture_output=True,
            text=True,
        ).stdout


def words(data: bytes) -> str:
    """The PDF's text in reading order, each run of white space one space."""
    return re.sub(r"\s+", " ", _poppler("pdftotext", data))


def fonts(data: bytes) -> list[dict]:
    """Each font with whether it is embedded, from pdffonts' table."""
    lines = _poppler("pdffonts", data).splitlines()[2:]
    # name type... encoding emb sub uni object ID: the last five columns are fixed.
    return [{"name": line.split()[0], "embedded": line.split()[-5]} for line in lines]


def page_count(data: bytes) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", _poppler("pdfinfo", data), re.MULTILINE)[1])


def catalog(data: bytes):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return reader.trailer["/Root"], reader.metadata
