"""HallDesk's use cases.  No Qt here: ``ui/`` sits on top, ``db/`` below."""
