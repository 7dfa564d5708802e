"""Nothing but the importer's own refusal escapes parse_upload: random bytes, damaged CSVs and a
peer project's CSV torture corpus either load (ParsedUpload) or are refused (UploadRefused)."""
from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi.importing.errors import UploadRefused
from kpi.importing.model import ParsedUpload
from kpi.importing.parse import parse_upload
from kpi.rules import load_rules
from tests.fixtures.import_fixtures import org_store

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "import"
PEER_CORPUS = ROOT.parent / "shared" / "corpus" / "duckdb-csv"
RULES = load_rules()
SEEDS = sorted(p for p in CORPUS.glob("*.csv") if p.stat().st_size > 0)
DATASETS = ("units", "annual", "meetings", "problems", "supervision", "ratings", "indicators")
HEADERS = {"meetings": "单位编码,会议类型,日期,应到人数,实到人数,主题\n".encode(),
           "units": b"unit_code,unit_name,parent_code,level,org_type\n"}
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])  # max_examples: the profile


@pytest.fixture(scope="module")
def con():
    with tempfile.TemporaryDirectory() as folder:
        store = org_store(Path(folder) / "t.duckdb")
        yield store.cursor()
        store.close()


def outcome(con, data: bytes, name: str, dataset: str) -> str:
    """'loaded' or 'refused'; any other exception fails the test."""
    try:
        parsed = parse_upload(data, name, dataset, con, RULES)
    except UploadRefused as exc:
        assert exc.errors and all(e.message("zh") and e.message("en") for e in exc.errors)
        return "refused"
    assert isinstance(parsed, ParsedUpload)
    for error in parsed.errors[:50]:
        assert error.message("zh") and error.message("en")
    assert len(parsed.frame) == len(parsed.file_rows) == len(parsed.row_sheets)
    return "loaded"


@st.composite
def damaged_csv(draw) -> bytes:
    """A corpus CSV hit by one to three kinds of damage."""
    data = bytearray(draw(st.sampled_from(SEEDS)).read_bytes())
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(("truncate", "insert", "delimiter", "drop_cell", "garble", "huge", "quote")))
        at = draw(st.integers(0, len(data)))
        if kind == "truncate":
            data = data[:at]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delimiter":
            old, new = draw(st.sampled_from(((b",", b";"), (b",", b"\t"), (b"\n", b","), (b",", b"\n"))))
            data = bytearray(data.replace(old, new, draw(st.integers(1, 20))))
        elif kind == "drop_cell":
            cut = data.find(b",", at)
            end = data.find(b",", cut + 1) if cut >= 0 else -1
            if cut >= 0 and end >= 0:
                del data[cut:end]
        elif kind == "garble":
            text = bytes(data).decode("utf-8", errors="replace")
            codec = draw(st.sampled_from(("utf-16-le", "utf-32", "latin-1", "gb18030", "cp1252", "shift_jis")))
            data = bytearray(text.encode(codec, errors="replace"))
        elif kind == "huge":
            data[at:at] = b"9" * draw(st.integers(10_000, 200_000))
        else:
            data[at:at] = b'"'
    return bytes(data)


@FUZZ
@given(data=st.binary(max_size=2048), dataset=st.sampled_from(DATASETS), name=st.sampled_from(("a.csv", "a.xlsx")))
def test_random_bytes(con, data, dataset, name):
    outcome(con, data, name, dataset)


@FUZZ
@given(data=damaged_csv(), dataset=st.sampled_from(DATASETS))
def test_damaged_csv(con, data, dataset):
    outcome(con, data, "damaged.csv", dataset)


@FUZZ
@given(rows=st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=8), max_size=12),
       dataset=st.sampled_from(("meetings", "problems", "annual")))
def test_random_cells_under_a_real_header(con, rows, dataset):
    header = {"meetings": "单位编码,会议类型,日期,应到人数,实到人数,主题",
              "problems": "问题编号,单位编码,问题来源,发现日期,问题描述,整改时限,整改状态,销号日期",
              "annual": "年度,单位编码,上年度职工工资总额（万元）,党组织工作经费预算（万元）,"
                        "党建考核权重（%）"}[dataset]
    body = "\n".join(",".join(c.replace(",", "").replace("\n", "").replace('"', "") for c in row) for row in rows)
    outcome(con, f"{header}\n{body}".encode("utf-8", errors="replace"), "cells.csv", dataset)


def _peer_files() -> list[Path]:
    return sorted(PEER_CORPUS.iterdir()) if PEER_CORPUS.is_dir() else []


@pytest.mark.skipif(not PEER_CORPUS.is_dir(), reason=f"peer CSV corpus not checked out at {PEER_CORPUS}")
@pytest.mark.parametrize("path", _peer_files(), ids=lambda p: p.name)
def test_peer_corpus_file(con, path):
    data = path.read_bytes()
    outcomes = [outcome(con, data, path.name, dataset) for dataset in ("meetings", "problems")]
    # With one of our headers on top, the file's body goes through typing and validation too.
    outcomes += [outcome(con, header + data, path.name, dataset) for dataset, header in HEADERS.items()]
    assert set(outcomes) <= {"loaded", "refused"}


WORKBOOKS = sorted(p for p in CORPUS.glob("*.xlsx") if p.name != "truncated.xlsx")


def _damage_inside(data: bytes, cuts: list[tuple[int, bytes]]) -> bytes:
    """The workbook re-zipped with its first worksheet's XML damaged (the zip itself stays valid)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = bytearray(src.read(info.filename))
            if info.filename.endswith("sheet1.xml"):
                for at, junk in cuts:
                    at %= len(body)
                    body[at:at + len(junk)] = junk
            dst.writestr(info.filename, bytes(body))
    return out.getvalue()


@FUZZ
@given(path=st.sampled_from(WORKBOOKS), cuts=st.lists(st.tuples(st.integers(0, 10_000), st.binary(max_size=8)),
                                                      min_size=1, max_size=4),
       inside=st.booleans(), dataset=st.sampled_from(DATASETS), all_sheets=st.booleans())
def test_damaged_workbook(con, path, cuts, inside, dataset, all_sheets):
    data = path.read_bytes()
    if inside:
        data = _damage_inside(data, cuts)
    else:
        data = bytearray(data)
        for at, junk in cuts:
            at %= len(data)
            data[at:at + len(junk)] = junk
    try:
        parse_upload(bytes(data), path.name, dataset, con, RULES, all_sheets=all_sheets)
    except UploadRefused:
        pass
