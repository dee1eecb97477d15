"""National status and channel codes and the status transition table (N-8, issue 9)."""
import pytest

from engine.domain.dossier_status import (
    TRANSITIONS,
    Channel,
    DossierStatus as S,
    StatusTransitionRefused,
    change_status,
)


def test_national_codes_are_written_out():
    # N-8: 1 newly submitted, 2 accepted, 3 not accepted, 4 in process, 5 supplement requested,
    # 6 payment requested, 7 withdrawn by the applicant, 8 stopped, 9 processed, 10 result returned.
    assert [(s.value, s.national_code) for s in S] == [
        ("new", 1), ("accepted", 2), ("not_accepted", 3), ("processing", 4), ("supplement_requested", 5),
        ("payment_requested", 6), ("withdrawn", 7), ("stopped", 8), ("processed", 9), ("returned", 10)]
    # N-8 channels: 1 in person, 2 online, 3 public postal service.
    assert [(c.value, c.national_code) for c in Channel] == [("desk", 1), ("online", 2), ("postal", 3)]


# Every allowed (from, to) pair by national code: 1 -> 2 or 3; 2 -> 4; 4 <-> 5; 4 <-> 6; 4 -> 8 or 9;
# 9 -> 10; 7 from the statuses of a dossier still in handling before 9 (1, 2, 4, 5, 6).
ALLOWED = {(1, 2), (1, 3), (2, 4), (4, 5), (5, 4), (4, 6), (6, 4), (4, 8), (4, 9), (9, 10),
           (1, 7), (2, 7), (4, 7), (5, 7), (6, 7)}


def test_the_table_is_exactly_the_lifecycle():
    by_code = {s.national_code: s for s in S}
    table = {(a.national_code, b.national_code) for a, targets in TRANSITIONS.items() for b in targets}
    assert table == ALLOWED
    for a in range(1, 11):
        for b in range(1, 11):
            if (a, b) in ALLOWED:
                assert change_status(by_code[a], by_code[b]) is by_code[b]
            else:
                with pytest.raises(StatusTransitionRefused) as info:
                    change_status(by_code[a], by_code[b])
                assert (info.value.current, info.value.target) == (by_code[a], by_code[b])


def test_a_refusal_names_both_statuses_and_what_is_allowed():
    with pytest.raises(StatusTransitionRefused, match=r"status 9 processed cannot change to 4 processing "
                                                      r"\(allowed from 9: 10 returned\)"):
        change_status("processed", "processing")
    with pytest.raises(StatusTransitionRefused, match="none, it has ended"):
        change_status(S.STOPPED, S.PROCESSING)


def test_a_path_is_checked_step_by_step():
    # Registration at the desk: submitted (1), accepted (2), in process (4); a supplement round trip.
    assert change_status(S.NEW, S.ACCEPTED, S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.PROCESSING) is S.PROCESSING
    with pytest.raises(StatusTransitionRefused, match="2 accepted cannot change to 9 processed"):
        change_status(S.NEW, S.ACCEPTED, S.PROCESSED)
    with pytest.raises(ValueError):
        change_status("unknown", S.ACCEPTED)
