"""Dossier statuses and channels with the national portal's codes, and the one transition table (N-8).

Each code is written out (the portal's numbering, not the order of the members), and a status
changes only along `TRANSITIONS`: the service layer asks `change_status` before writing one.
"""
from __future__ import annotations

from enum import Enum


class DossierStatus(str, Enum):
    NEW = "new"  # 1 mới đăng ký
    ACCEPTED = "accepted"  # 2 được tiếp nhận
    NOT_ACCEPTED = "not_accepted"  # 3 không được tiếp nhận
    PROCESSING = "processing"  # 4 đang xử lý
    SUPPLEMENT_REQUESTED = "supplement_requested"  # 5 yêu cầu bổ sung
    PAYMENT_REQUESTED = "payment_requested"  # 6 yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWN = "withdrawn"  # 7 công dân yêu cầu rút hồ sơ
    STOPPED = "stopped"  # 8 dừng xử lý
    PROCESSED = "processed"  # 9 đã xử lý xong
    RETURNED = "returned"  # 10 đã trả kết quả

    @property
    def national_code(self) -> int:
        """N-8: 1 newly submitted … 10 result returned."""
        return _STATUS_CODES[self]

    @property
    def label(self) -> str:
        """Code and name, e.g. "4 processing", for messages."""
        return f"{self.national_code} {self.value}"


_STATUS_CODES = {
    DossierStatus.NEW: 1,
    DossierStatus.ACCEPTED: 2,
    DossierStatus.NOT_ACCEPTED: 3,
    DossierStatus.PROCESSING: 4,
    DossierStatus.SUPPLEMENT_REQUESTED: 5,
    DossierStatus.PAYMENT_REQUESTED: 6,
    DossierStatus.WITHDRAWN: 7,
    DossierStatus.STOPPED: 8,
    DossierStatus.PROCESSED: 9,
    DossierStatus.RETURNED: 10,
}


class Channel(str, Enum):
    """Submission channels (R-2.1, N-8)."""

    DESK = "desk"  # 1 trực tiếp
    ONLINE = "online"  # 2 trực tuyến
    POSTAL = "postal"  # 3 bưu chính công ích

    @property
    def national_code(self) -> int:
        """N-8: 1 in person, 2 online, 3 public postal service."""
        return _CHANNEL_CODES[self]


_CHANNEL_CODES = {Channel.DESK: 1, Channel.ONLINE: 2, Channel.POSTAL: 3}

S = DossierStatus
# Issue 9 "Status transitions": 1 -> 2 or 3; 2 -> 4; 4 <-> 5 (supplement); 4 <-> 6 (payment);
# 4 -> 8 or 9; 9 -> 10; 7 (withdrawn) from any status of a dossier still in handling before 9:
# 1, 2, 4, 5, 6. Refused (3), stopped (8), withdrawn (7) and returned (10) dossiers change no more.
TRANSITIONS: dict[DossierStatus, frozenset[DossierStatus]] = {
    S.NEW: frozenset({S.ACCEPTED, S.NOT_ACCEPTED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.PROCESSING, S.WITHDRAWN}),
    S.NOT_ACCEPTED: frozenset(),
    S.PROCESSING: frozenset({S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED, S.STOPPED, S.PROCESSED, S.WITHDRAWN}),
    S.SUPPLEMENT_REQUESTED: frozenset({S.PROCESSING, S.WITHDRAWN}),
    S.PAYMENT_REQUESTED: frozenset({S.PROCESSING, S.WITHDRAWN}),
    S.WITHDRAWN: frozenset(),
    S.STOPPED: frozenset(),
    S.PROCESSED: frozenset({S.RETURNED}),
    S.RETURNED: frozenset(),
}
del S


class StatusTransitionRefused(ValueError):
    """A status change the table does not allow; names both statuses with their codes."""

    def __init__(self, current: DossierStatus, target: DossierStatus):
        self.current, self.target = current, target
        allowed = ", ".join(s.label for s in sorted(TRANSITIONS[current], key=lambda s: s.national_code))
        super().__init__(f"a dossier in status {current.label} cannot change to {target.label} "
                         f"(allowed from {current.national_code}: {allowed or 'none, it has ended'})")


def change_status(current: DossierStatus | str, *steps: DossierStatus | str) -> DossierStatus:
    """The status after `steps`, each checked against TRANSITIONS in turn (N-8).

    Raises StatusTransitionRefused at the first step the table does not allow (a step to the
    same status included), ValueError for an unknown status name."""
    status = DossierStatus(current)
    for step in steps:
        target = DossierStatus(step)
        if target not in TRANSITIONS[status]:
            raise StatusTransitionRefused(status, target)
        status = target
    return status
