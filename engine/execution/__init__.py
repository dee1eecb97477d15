"""SpiffWorkflow behind a small interface: the only package that imports SpiffWorkflow."""
