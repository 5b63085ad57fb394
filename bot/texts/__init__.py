"""Texts the core composes: the one formatter (format.py), customer notices and operator
alerts. Handlers build their own texts on the same formatter; bot/ never imports handlers/."""
