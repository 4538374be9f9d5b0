"""HallDesk's use cases.  No Qt here: the two shells, ``ui/`` (GUI) and ``cli/`` (command line), sit on top,
``db/`` below; ``app/infra/`` holds how data is stored, numbered, cached, signed and moved."""
