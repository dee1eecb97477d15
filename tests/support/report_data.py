"""A known set of stored dossiers and steps for the report tests, with hand counts beside it.

Rows are written as the engine stores them when a dossier or step ends (class stored at the end,
issue 9); the reports only read them. November 2026 in Hanoi time (+07:00) is the period tested;
`NOW` is 10 December 2026, so November's as-of instant is 1 December 00:00 +07:00.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert

from engine.persistence.models import Dossier, Procedure, ProcedureVersion, ReadyTask, Step
from tests.conftest import VN

A = "000.00.12.H15"  # Phòng Kinh tế (lead agency of HKD-01 and DD-03)
B = "000.00.13.H15"  # Phòng Tài nguyên và Môi trường
C = "000.00.14.H15"  # consulted agency: it owns steps, never a dossier
NOW = datetime(2026, 12, 10, 9, 0, tzinfo=VN)

PROCEDURES = {
    "HKD-01": dict(agency_id=A, agency_name="Phòng Kinh tế", field="Hộ kinh doanh",
                   name="Đăng ký thành lập hộ kinh doanh"),
    "DD-02": dict(agency_id=B, agency_name="Phòng Tài nguyên và Môi trường", field="Đất đai",
                  name="Đăng ký biến động đất đai"),
    "DD-03": dict(agency_id=A, agency_name="Phòng Kinh tế", field="Đất đai", name="Xác nhận hiện trạng đất"),
}


def t(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=VN)


# n: (procedure, received, due, completed, status, timeliness, timeliness_reappointed, channel, pauses)
DOSSIERS: dict[int, tuple] = {
    1: ("HKD-01", t(11, 3), t(11, 6, 17), t(11, 5), "processed", "early", None, "online", None),
    2: ("HKD-01", t(11, 4), t(11, 6, 17), t(11, 6, 15), "returned", "on_time", None, "desk", None),
    3: ("HKD-01", t(11, 5), t(11, 10, 17), t(11, 12), "processed", "late", None, "desk", None),
    4: ("HKD-01", t(11, 10), t(11, 13, 17), t(11, 20), "processed", "late", "on_time", "online", None),
    5: ("HKD-01", t(11, 20), t(11, 25, 17), None, "processing", None, None, "desk", None),
    6: ("HKD-01", t(11, 24), t(12, 5, 17), None, "processing", None, None, "online", None),
    # paused for a supplement from 23 Nov to 2 Dec: not late as of 1 Dec although due 24 Nov
    7: ("HKD-01", t(11, 18), t(11, 24, 17), None, "processing", None, None, "desk", [(t(11, 23), t(12, 2))]),
    8: ("HKD-01", t(10, 28), t(11, 3, 17), t(11, 2), "returned", "early", None, "desk", None),
    9: ("HKD-01", t(10, 20), t(11, 15, 17), t(12, 3), "processed", "late", None, "desk", None),
    10: ("HKD-01", t(11, 12), t(11, 17, 17), t(11, 14), "withdrawn", None, None, "desk", None),
    11: ("HKD-01", t(11, 28), t(12, 3, 17), t(11, 28, 10), "not_accepted", None, None, "online", None),
    12: ("HKD-01", t(9, 1), t(9, 4, 17), t(10, 1), "processed", "late", None, "desk", None),
    13: ("HKD-01", t(12, 2), t(12, 7, 17), None, "processing", None, None, "desk", None),
    14: ("DD-02", t(11, 2), t(11, 6, 17), t(11, 9), "processed", "late", None, "online", None),
    15: ("DD-02", t(11, 15), t(11, 20, 17), t(11, 16), "returned", "early", None, "desk", None),
    16: ("DD-02", t(11, 30, 23, 30), t(12, 3, 17), None, "processing", None, None, "desk", None),  # still November locally
    17: ("DD-02", t(12, 1, 0, 30), t(12, 4, 17), None, "processing", None, None, "desk", None),  # 30 Nov 17:30 UTC: December
    18: ("DD-03", t(11, 6), t(11, 9, 17), t(11, 9), "returned", "on_time", None, "postal", None),
}

# Fees and result returns as issue 9 stores them.
FEES = {
    1: {"amount": 100000, "requested_at": t(11, 3).isoformat(), "paid_at": t(11, 4).isoformat(), "method": "online"},
    3: {"amount": 100000, "requested_at": t(11, 5).isoformat(), "paid_at": t(11, 6).isoformat(), "method": "desk"},
    4: {"amount": 100000, "requested_at": t(11, 10).isoformat()},  # requested, never paid
    12: {"amount": 100000, "requested_at": t(9, 1).isoformat(), "paid_at": t(9, 2).isoformat(), "method": "online"},
    14: {"amount": 50000, "requested_at": t(11, 2).isoformat(), "paid_at": t(11, 3).isoformat(), "method": "online"},
}
RETURNS = {2: (t(11, 6, 16), "online"), 8: (t(11, 3), "postal"), 18: (t(11, 10), "desk"), 15: (t(11, 17), "online")}
# November: A paid 1 (online), 3 (desk) = 2, online 1 -> 50 %; returned 2 (online), 8, 18 = 3, online 1 -> 33.3 %.
#           B paid 14 (online) = 1 -> 100 %; returned 15 (online) = 1 -> 100 %.

# November by agency, counted by hand from the table above:
# A: received 1,2,3,4,5,6,7,10,11,18 = 10; online 1,4,6,11 = 4; finished 1,2,3,4,8,10,11,18 = 8:
#    early 1,8 = 2, on time 2,18 = 2, late 3,4 = 2, unclassified 10 (withdrawn),11 (refused) = 2;
#    re-appointed 4 = 1, it met the new appointment = 1;
#    open on 1 Dec 00:00: 5,6,7,9 = 4; open and late: 5 (due 25 Nov), 9 (due 15 Nov) = 2
#    (6 due 5 Dec; 7 paused at that instant).
# B: received 14,15,16 = 3 (17 is 1 Dec locally); online 14 = 1; finished 14 (late), 15 (early) = 2;
#    open 16 = 1, not late.
EXPECTED_NOVEMBER = {
    A: dict(received=10, finished=8, early=2, on_time=2, late=2, unclassified=2, reappointed=1,
            reappointed_met=1, open=4, open_late=2),
    B: dict(received=3, finished=2, early=1, on_time=0, late=1, unclassified=0, reappointed=0,
            reappointed_met=0, open=1, open_late=0),
}

# (dossier, agency, created, due, completed, timeliness); completed None: still a ready task
STEPS = [
    (1, A, t(11, 3), t(11, 4, 17), t(11, 4), "early"),
    (1, C, t(11, 4), t(11, 4, 17), t(11, 5), "late"),  # the consulted agency answered late
    (3, A, t(11, 5), t(11, 6, 17), t(11, 12), "late"),
    (9, C, t(10, 21), t(11, 1, 17), t(12, 3), "late"),  # open on 1 Dec and late
    (5, A, t(11, 20), t(11, 22, 17), None, None),  # waiting, late
    (6, C, t(11, 24), t(12, 4, 17), None, None),  # waiting, not late on 1 Dec
    (13, A, t(12, 2), t(12, 4, 17), None, None),  # December
]
# Steps in November by the agency whose officials were candidates:
# A: received 3 (1/A, 3/A, 5/A); finished 2 (early 1, late 1); open 1 (5/A), late 1.
# C: received 2 (1/C, 6/C); finished 1 (late); open 2 (9/C, 6/C), late 1 (9/C).
EXPECTED_STEPS = {
    A: dict(received=3, finished=2, early=1, on_time=0, late=1, unclassified=0, open=1, open_late=1),
    C: dict(received=2, finished=1, early=0, on_time=0, late=1, unclassified=0, open=2, open_late=1),
}


def load(uow_factory: Any) -> dict[int, int]:
    """Write the procedures, dossiers and steps; returns dossier number -> id."""
    ids: dict[int, int] = {}
    with uow_factory() as uow:
        conn = uow.session.connection()
        versions = {}
        for n, (code, meta) in enumerate(PROCEDURES.items(), start=1):
            pid = conn.execute(insert(Procedure.__table__).values(code=code, created_at=t(10, 1))
                               .returning(Procedure.__table__.c.id)).scalar_one()
            versions[code] = conn.execute(insert(ProcedureVersion.__table__).values(
                procedure_id=pid, number=1, content_hash=f"h{n}", state="published", effective_from=t(10, 1),
                published_at=t(10, 1), created_at=t(10, 1), metadata={"code": code, **meta, "statutory_days": 3},
                sources={}, process_id="p", spec={}, serializer_version="1")
                .returning(ProcedureVersion.__table__.c.id)).scalar_one()
        for n, (code, received, due, completed, status, cls, cls_re, channel, pauses) in DOSSIERS.items():
            basis: dict[str, Any] = {"from": received.isoformat(), "working_days": 3}
            if pauses:
                basis["pauses"] = [[s.isoformat(), e.isoformat()] for s, e in pauses]
            if cls_re:
                basis["reappointment"] = {"due": due.isoformat(), "reason": "chờ ý kiến", "made_at": received.isoformat()}
            row = conn.execute(insert(Dossier.__table__).values(
                code=f"{PROCEDURES[code]['agency_id']}-{n:04d}", procedure_version_id=versions[code],
                procedure_code=code, agency_id=PROCEDURES[code]["agency_id"], channel=channel, status=status,
                state="{}", version=1, received_at=received, started_at=received, due_at=due, due_basis=basis,
                completed_at=completed, applicant={"name": f"Nguyễn Thị Hồ Sơ {n}"},
                applicant_name=f"Nguyễn Thị Hồ Sơ {n}", timeliness=cls, timeliness_reappointed=cls_re,
                created_by="desk1", updated_at=completed or received, fee=FEES.get(n),
                returned_at=RETURNS.get(n, (None, None))[0], return_channel=RETURNS.get(n, (None, None))[1],
            ).returning(Dossier.__table__.c.id))
            ids[n] = row.scalar_one()
        for i, (n, agency, created, due, completed, cls) in enumerate(STEPS):
            common = dict(dossier_id=ids[n], task_id=f"00000000-0000-0000-0000-{i:012d}", element_id=f"task{i}",
                          name=f"Bước {i}", candidate_role="official", candidate_agency=agency, created_at=created,
                          due_at=due)
            if completed is None:
                conn.execute(insert(ReadyTask.__table__).values(**common, lane=None, form=None, assignee=None,
                                                                 owner=None, due_basis=None, version=1))
            else:
                conn.execute(insert(Step.__table__).values(**common, completed_by="official1", completed_at=completed,
                                                           timeliness=cls, data={}))
        uow.commit()
    return ids
