"""Reports: building them from calls, their priority, export."""
