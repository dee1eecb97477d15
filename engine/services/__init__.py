"""Service layer: use cases over the unit of work, the engine and the calendar.

The API and the CLI call only this layer; it never imports Flask.
"""
