"""What a run leaves behind: files written atomically, reports, figures, number formatting."""
