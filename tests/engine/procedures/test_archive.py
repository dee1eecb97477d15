"""A procedure's files as one zip or as loose files: zip slip, links, zip bombs and oversized
members are refused naming the member (issue 12, R-8.4)."""
import io
import stat
import zipfile

import pytest

from engine.procedures.archive import ArchiveLimits, ArchiveRefused, read_files, read_zip


def zipped(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def refused(data: bytes, limits: ArchiveLimits = ArchiveLimits()) -> ArchiveRefused:
    with pytest.raises(ArchiveRefused) as err:
        read_zip(data, limits)
    return err.value


def test_a_zipped_folder_gives_files_and_forms():
    bundle = read_zip(zipped({"P/procedure.toml": b"x", "P/P.bpmn": b"<b/>", "P/rules.dmn": b"<d/>",
                              "P/forms/f.json": b"{}", "P/": b""}))
    assert bundle.files == {"procedure.toml": b"x", "P.bpmn": b"<b/>", "rules.dmn": b"<d/>"}
    assert bundle.forms == {"f.json": b"{}"}
    flat = read_zip(zipped({"procedure.toml": b"x", "forms/f.json": b"{}"}))
    assert flat.files == {"procedure.toml": b"x"} and flat.forms == {"f.json": b"{}"}


@pytest.mark.parametrize("name", ["../evil.bpmn", "/etc/passwd.bpmn", "forms/../../x.json", "C:/x.bpmn",
                                  "a\\..\\x.bpmn"])
def test_zip_slip_is_refused_naming_the_member(name):
    err = refused(zipped({"procedure.toml": b"x", name: b"<b/>"}))
    assert err.problems == [(name, "an absolute path or one that climbs out of the folder ('..')")]


def test_a_symbolic_link_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        link = zipfile.ZipInfo("P.bpmn")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(link, "/etc/passwd")
    assert refused(buffer.getvalue()).problems == [("P.bpmn", "a symbolic link")]


def test_a_zip_bomb_is_stopped_while_reading():
    # 3 MiB of zeros deflate to a few KiB: more than 100 times smaller.
    err = refused(zipped({"procedure.toml": b"x", "P.bpmn": b"\0" * (3 * 1024 * 1024)}))
    assert err.too_large and err.problems[0][0] == "P.bpmn" and "zip bomb" in err.problems[0][1]


def test_a_member_larger_than_the_limit_is_refused_before_it_is_read():
    data = zipped({"P.bpmn": b"\0" * 200_000}, zipfile.ZIP_STORED)  # stored: ratio 1, size 200 kB
    err = refused(data, ArchiveLimits(max_member_bytes=100_000))
    assert err.too_large and err.problems == [("P.bpmn", "200000 bytes, at most 100000")]


def test_too_many_members_oversized_totals_and_strangers_are_refused():
    many = {f"forms/f{i}.json": b"{}" for i in range(5)}
    assert refused(zipped(many), ArchiveLimits(max_members=4)).too_large
    assert refused(zipped({"a.bpmn": b"1" * 60, "b.bpmn": b"2" * 60}),
                   ArchiveLimits(max_total_bytes=100, max_ratio=10_000)).too_large
    err = refused(zipped({"procedure.toml": b"x", "run.sh": b"rm -rf /", "deep/forms/f.json": b"{}"}))
    assert [m for m, _ in err.problems] == ["run.sh", "deep/forms/f.json"]
    assert refused(b"not a zip").problems == [("file", "not a zip archive")]


def test_loose_files_map_like_a_folder():
    bundle = read_files([("procedure.toml", b"x"), ("P.bpmn", b"<b/>"), ("f.json", b"{}"), ("forms/g.json", b"{}")])
    assert set(bundle.files) == {"procedure.toml", "P.bpmn"} and set(bundle.forms) == {"f.json", "g.json"}
    with pytest.raises(ArchiveRefused) as err:
        read_files([("../../x.bpmn", b"")])
    assert err.value.problems[0][0] == "../../x.bpmn"
