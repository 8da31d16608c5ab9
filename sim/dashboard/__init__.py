"""The dashboard's engine side: the session and view model, without Solara."""
