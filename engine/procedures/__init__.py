"""The procedure library: procedure folders in processes/, their metadata, forms and versions (R-1)."""
