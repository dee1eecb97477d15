"""Pure domain rules of the regulations (no Flask, no SQL, no SpiffWorkflow)."""
