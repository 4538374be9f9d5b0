"""HallDesk's Qt desktop GUI: widgets over the services in ``app/`` (never the database directly)."""
