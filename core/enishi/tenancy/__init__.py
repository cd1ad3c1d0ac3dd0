"""Who may see and do what in which workspace."""
