"""Working-time calendar: pure domain code, no Flask and no SQL."""
from .config import CalendarConfig, CalendarConfigError, load_config, parse_config
from .working_calendar import (
    CalendarError,
    DayOff,
    MakeUpDay,
    NaiveDatetimeError,
    WorkingCalendar,
)

__all__ = [
    "CalendarConfig",
    "CalendarConfigError",
    "CalendarError",
    "DayOff",
    "MakeUpDay",
    "NaiveDatetimeError",
    "WorkingCalendar",
    "load_config",
    "parse_config",
]
