"""Dossier statuses, named after the national portal's codes (N-8, secondary: keep configurable)."""
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
        return list(DossierStatus).index(self) + 1


class Channel(str, Enum):
    """Submission channels (R-2.1, N-8)."""

    DESK = "desk"  # 1 trực tiếp
    ONLINE = "online"  # 2 trực tuyến
    POSTAL = "postal"  # 3 bưu chính công ích
