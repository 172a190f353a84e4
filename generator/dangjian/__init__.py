"""dangjian: a plain-file registry of grassroots party-building work (党建), validated and published."""

__version__ = "0.1.0"
