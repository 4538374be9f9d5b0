"""The command-line shell over HallDesk's services, beside the GUI (``ui/``); ``python -m app COMMAND`` runs it.

Like ``ui/`` it only parses, calls ``app/`` and prints: no rule lives here.  ``cli.main`` holds the parser,
``run`` and the core commands; each other module registers the commands of one desk.
"""
