"""opsim: a voice practice simulator for online-shop call-center operators.

The library is the product; ``cli.py`` is a thin layer on top of it.
"""

__version__ = "0.1.0"
