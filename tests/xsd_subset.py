"""A small XML Schema (XSD 1.0) validator for the constructs sitemaps.org's schemas use.

lxml is not installed in the project's environment, so the sitemap tests validate with this: it
reads the element and type declarations from the .xsd file itself (nothing about sitemaps is
written here), and refuses, by raising `Unsupported`, any construct it does not implement, so a
schema it cannot read never passes a document by accident.

Implemented: global and local `element` (type by name or inline), `complexType` with a `sequence`
of `element` and `any` particles (minOccurs/maxOccurs; no attributes allowed on instances except
xsi:*), `simpleType` as `restriction` (facets minLength, maxLength, enumeration, minInclusive,
maxInclusive) or `union`, and the built-in types string, anyURI, decimal, date and dateTime.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from defusedxml import ElementTree

XS = "{http://www.w3.org/2001/XMLSchema}"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"


class Unsupported(Exception):
    """The schema uses an XSD construct this reader does not implement."""


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _occurs(node, name: str, default: int) -> float:
    value = node.get(name)
    if value is None:
        return default
    return float("inf") if value == "unbounded" else int(value)


def _children(node):
    """A declaration's children without annotations."""
    return [c for c in node if c.tag != XS + "annotation"]


# --- built-in simple types (lexical checks, XSD 1.0 part 2) ----------------------------------------

_ZONE = r"(Z|[+-](\d{2}):(\d{2}))?"
_DATE = re.compile(r"(-?\d{4,})-(\d{2})-(\d{2})" + _ZONE)
_DATETIME = re.compile(r"(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?" + _ZONE)
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
# RFC 3986 characters, plus any non-ASCII character (XSD's anyURI is an IRI once escaped).
_URI_CHARS = re.compile(r"([A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2}|[^\x00-\x7f])*")


def _zone_ok(sign_hours: str | None, minutes: str | None) -> bool:
    return sign_hours is None or (int(sign_hours) <= 14 and int(minutes) < 60)


def _valid_date(text: str) -> bool:
    m = _DATE.fullmatch(text)
    if not m:
        return False
    try:
        datetime.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return False
    return _zone_ok(m[5], m[6])


def _valid_datetime(text: str) -> bool:
    m = _DATETIME.fullmatch(text)
    if not m:
        return False
    try:
        datetime.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return False
    hour, minute, second = int(m[4]), int(m[5]), int(m[6])
    time_ok = (hour < 24 and minute < 60 and second < 60) or (hour, minute, second, m[7] or "") == (24, 0, 0, "")
    return time_ok and _zone_ok(m[10], m[11])


BUILTINS = {
    "string": lambda text: True,
    "anyURI": lambda text: bool(_URI_CHARS.fullmatch(text)),
    "decimal": lambda text: bool(_DECIMAL.fullmatch(text)),
    "date": _valid_date,
    "dateTime": _valid_datetime,
}


@dataclass
class SimpleType:
    """A simple type: a built-in base, facets, or a union of members."""

    base: str | None = None  # built-in name
    parent: SimpleType | None = None  # a named/inline type restricted
    facets: list | None = None
    members: list | None = None

    def builtin(self) -> str | None:
        return self.base if self.base else (self.parent.builtin() if self.parent else None)

    def errors(self, raw: str) -> list[str]:
        if self.members is not None:
            if any(not m.errors(raw) for m in self.members):
                return []
            return [f"{raw!r} matches no member of the union"]
        builtin = self.builtin()
        text = raw if builtin == "string" else " ".join(raw.split())  # whitespace: preserve / collapse
        if self.parent is not None:
            said = self.parent.errors(raw)
            if said:
                return said
        elif not BUILTINS[self.base](text):
            return [f"{text!r} is not a valid xsd:{self.base}"]
        return [said for facet in self.facets or [] if (said := facet(text))]


def _facet(node) -> object:
    name, value = _local(node.tag)[1], node.get("value")
    if name == "minLength":
        return lambda text: None if len(text) >= int(value) else f"{text!r} is shorter than {value} characters"
    if name == "maxLength":
        return lambda text: None if len(text) <= int(value) else f"{text!r} is longer than {value} characters"
    if name in ("minInclusive", "maxInclusive"):

        def check(text: str) -> str | None:
            try:
                number = Decimal(text)
            except InvalidOperation:
                return f"{text!r} is not a number"
            ok = number >= Decimal(value) if name == "minInclusive" else number <= Decimal(value)
            return None if ok else f"{text!r} is outside {name} {value}"

        return check
    raise Unsupported(f"facet xsd:{name}")


class Schema:
    """The declarations of one .xsd file."""

    def __init__(self, path: Path) -> None:
        root = ElementTree.parse(path).getroot()
        if root.tag != XS + "schema":
            raise Unsupported("not an XML Schema")
        if root.get("elementFormDefault") != "qualified":
            raise Unsupported("unqualified local elements")
        self.target = root.get("targetNamespace", "")
        self.elements, self.complex, self.simple = {}, {}, {}
        for node in _children(root):
            kind = _local(node.tag)[1]
            table = {"element": self.elements, "complexType": self.complex, "simpleType": self.simple}.get(kind)
            if table is None or node.tag != XS + kind:
                raise Unsupported(f"top-level {node.tag}")
            table[node.get("name")] = node

    # --- types ---------------------------------------------------------------------------------
    def _simple(self, node) -> SimpleType:
        """A simpleType declaration node → SimpleType."""
        (body,) = _children(node)
        kind = _local(body.tag)[1]
        if kind == "restriction":
            base, facets, enums = body.get("base"), [], []
            for facet in _children(body):
                if facet.tag == XS + "enumeration":
                    enums.append(facet.get("value"))
                elif facet.tag == XS + "simpleType":
                    raise Unsupported("restriction of an anonymous type")
                else:
                    facets.append(_facet(facet))
            if enums:
                facets.append(
                    lambda text, enums=tuple(enums): None if text in enums else f"{text!r} is not one of {enums}"
                )
            return SimpleType(facets=facets, **self._base(base))
        if kind == "union":
            if body.get("memberTypes"):
                raise Unsupported("union memberTypes")
            return SimpleType(members=[self._simple(member) for member in _children(body)])
        raise Unsupported(f"simpleType {kind}")

    def _base(self, qname: str | None) -> dict:
        prefix, _, name = (qname or "").rpartition(":")
        if prefix == "xsd" or prefix == "xs":
            if name not in BUILTINS:
                raise Unsupported(f"built-in type {qname}")
            return {"base": name}
        if name in self.simple:
            return {"parent": self._simple(self.simple[name])}
        raise Unsupported(f"type {qname}")

    def _type_of(self, decl):
        """('simple', SimpleType) or ('complex', complexType node) of an element declaration."""
        inline = _children(decl)
        if inline:
            (node,) = inline
            if node.tag == XS + "complexType":
                return "complex", node
            if node.tag == XS + "simpleType":
                return "simple", self._simple(node)
            raise Unsupported(f"element child {node.tag}")
        qname = decl.get("type")
        if qname is None:
            raise Unsupported("element without a type")
        name = qname.rpartition(":")[2]
        if ":" not in qname and name in self.complex:
            return "complex", self.complex[name]
        if ":" not in qname and name in self.simple:
            return "simple", self._simple(self.simple[name])
        return "simple", SimpleType(**self._base(qname))

    # --- instances -----------------------------------------------------------------------------
    def validate(self, document: Path | bytes) -> list[str]:
        """Every way `document` breaks the schema (empty: valid)."""
        if isinstance(document, Path):
            document = document.read_bytes()
        root = ElementTree.fromstring(document)
        ns, name = _local(root.tag)
        if ns != self.target or name not in self.elements:
            return [f"root element {root.tag} is not declared"]
        return self._element(root, self.elements[name], name)

    def _element(self, element, decl, where: str) -> list[str]:
        errors = [f"{where}: attribute {a} is not declared" for a in element.attrib if not a.startswith(XSI)]
        kind, typ = self._type_of(decl)
        if kind == "simple":
            if len(element):
                return errors + [f"{where}: a simple value may not hold elements"]
            return errors + [f"{where}: {said}" for said in typ.errors(element.text or "")]
        if typ.get("mixed") == "true":
            raise Unsupported("mixed content")
        body = _children(typ)
        if len(body) != 1 or body[0].tag != XS + "sequence":
            raise Unsupported("complexType other than one sequence")
        texts = [element.text, *(child.tail for child in element)]
        if any(t and t.strip() for t in texts):
            errors.append(f"{where}: text is not allowed between elements")
        return errors + self._sequence(list(element), _children(body[0]), where)

    def _sequence(self, children: list, particles: list, where: str) -> list[str]:
        errors, at = [], 0
        for particle in particles:
            low, high = _occurs(particle, "minOccurs", 1), _occurs(particle, "maxOccurs", 1)
            count = 0
            while at < len(children) and count < high and self._matches(children[at], particle):
                child = children[at]
                errors += self._particle(child, particle, f"{where}/{_local(child.tag)[1]}")
                at += 1
                count += 1
            if count < low:
                label = particle.get("name") or "any"
                errors.append(f"{where}: expected {label} (at least {low}), found {count}")
        errors += [f"{where}: unexpected element {child.tag}" for child in children[at:]]
        return errors

    def _matches(self, child, particle) -> bool:
        ns, name = _local(child.tag)
        if particle.tag == XS + "element":
            if particle.get("ref"):
                raise Unsupported("element ref")
            return ns == self.target and name == particle.get("name")
        if particle.tag == XS + "any":
            if particle.get("namespace") != "##other":
                raise Unsupported(f"any namespace={particle.get('namespace')}")
            return ns not in ("", self.target)
        raise Unsupported(f"particle {particle.tag}")

    def _particle(self, child, particle, where: str) -> list[str]:
        if particle.tag == XS + "element":
            return self._element(child, particle, where)
        if particle.get("processContents", "strict") == "strict":
            return [f"{where}: {child.tag} is not declared (processContents=strict)"]
        return []
