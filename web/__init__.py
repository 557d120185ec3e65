"""The practice site (``opsim serve``): the second front door beside ``cli.py``.

The library (``simulator/``, ``scoring/``) never imports this package."""
