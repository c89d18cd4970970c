"""Typed getters of the lakehouse options (declared in config_declaration.yaml), and the allowed roots.

`resolve()` is the one place a table URI is checked: local paths must be absolute, without `..`, and
inside an allowed folder once symlinks are resolved; s3:// URIs must be under an allowed s3 root that
has an endpoint configured. Other schemes are refused.

Each allowed root holds one folder per division, named as the division's organization
(``<root>/cms/...``): a dataset's tables must be in its own division's folder. Without this, an editor
of any division could point a resource of their own at another division's private or PHI table and
preview or query it through their own dataset."""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import ckan.model as model
import ckan.plugins.toolkit as tk

_UNSAFE = re.compile(r"[\\\s\x00-\x1f\x7f]")


def allowed_roots() -> list[str]:
    return tk.aslist(tk.config["ckanext.hhs.lakehouse.allowed_roots"])


def iceberg_catalog() -> str:
    return tk.config["ckanext.hhs.lakehouse.iceberg_catalog"]


def preview_rows() -> int:
    return tk.asint(tk.config["ckanext.hhs.lakehouse.preview_rows"])


def query_max_rows() -> int:
    return tk.asint(tk.config["ckanext.hhs.lakehouse.query_max_rows"])


def query_timeout() -> int:
    return tk.asint(tk.config["ckanext.hhs.lakehouse.query_timeout"])


def query_memory() -> str:
    return tk.config["ckanext.hhs.lakehouse.query_memory"]


def query_max_bytes() -> int:
    return tk.asint(tk.config["ckanext.hhs.lakehouse.query_max_bytes"])


def query_max_cells() -> int:
    return tk.asint(tk.config["ckanext.hhs.lakehouse.query_max_cells"])


def stale_grace() -> float:
    return float(tk.config["ckanext.hhs.lakehouse.stale_grace"])


def demo_root() -> str:
    return tk.config["ckanext.hhs.lakehouse.demo_root"] or os.path.join(tk.config["ckan.storage_path"], "lakehouse")


@dataclass(frozen=True)
class S3Root:
    root: str  # s3://bucket/prefix, no trailing slash
    endpoint: str
    region: str = "us-east-1"
    key_id: str = field(default="", repr=False)
    secret: str = field(default="", repr=False)


def s3_roots() -> list[S3Root]:
    roots = []
    for line in (tk.config["ckanext.hhs.lakehouse.s3_endpoints"] or "").splitlines():
        words = line.split()
        if not words:
            continue
        options = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        roots.append(
            S3Root(
                root=words[0].rstrip("/"),
                endpoint=options.get("endpoint", ""),
                region=options.get("region", "us-east-1"),
                key_id=options.get("key_id", ""),
                secret=options.get("secret", ""),
            )
        )
    return roots


def secrets() -> list[str]:
    """Every configured credential, to be blanked out of any message that could be shown or logged."""
    return [s for r in s3_roots() for s in (r.key_id, r.secret) if s]


def redact(text: str) -> str:
    for secret in secrets():
        text = text.replace(secret, "***")
    return text


def hide_paths(text: str) -> str:
    """text with every allowed root (as configured, resolved, or as a file:// URI) named neutrally: no
    server path reaches anyone but sysadmins, and table locations are under the roots."""
    roots = {r.rstrip("/") for r in allowed_roots() if r.strip("/")}
    roots |= {os.path.realpath(r) for r in roots if not r.startswith("s3://")}
    for root in sorted(roots, key=len, reverse=True):
        for form in (f"file://{root}", root):
            text = text.replace(form, tk._("[lakehouse storage]"))
    return redact(text)


def neutral_name(package_id: str) -> str:
    """What others than sysadmins see instead of a table's location: whose storage it is in."""
    package = model.Package.get(package_id)
    org = model.Group.get(package.owner_org) if package is not None and package.owner_org else None
    if org is None:
        return tk._("a lakehouse table")
    return tk._("a lakehouse table in {division}'s storage").format(division=org.extras.get("acronym") or org.title)


@dataclass(frozen=True)
class Location:
    uri: str  # normalised: an absolute local path, or s3://bucket/key
    scheme: str  # "file" or "s3"
    s3: S3Root | None = None
    root: str = ""  # the allowed root it is under, normalised as uri is

    @property
    def path(self) -> str:
        """Without the scheme, as pyarrow's filesystems name it: /local/path or bucket/key."""
        return self.uri.removeprefix("s3://")


class RefusedURI(ValueError):
    """A table URI that may not be read; the message says why, for the person who gave it."""


def resolve(uri: str, division: str | None = None) -> Location:
    """The location of a table URI, or RefusedURI saying why it may not be read. Given the name of the
    division that owns the dataset, the table must also be in that division's folder of its root."""
    location = _resolve(uri)
    if division is not None:
        folder = f"{location.root}/{division}" if division else ""
        if not folder or (location.uri != folder and not location.uri.startswith(folder + "/")):
            raise RefusedURI(
                tk._(
                    "A table of a {division} dataset must be in {division}'s folder of the allowed root: {folder}/"
                ).format(division=division or tk._("(no division)"), folder=folder or location.root + "/<division>")
            )
    return location


def division_of(package_id: str) -> str:
    """The name of the division (organization) owning a dataset, whose folder holds its tables; "" if none."""
    package = model.Package.get(package_id)
    org = model.Group.get(package.owner_org) if package is not None and package.owner_org else None
    return org.name if org is not None else ""


def _resolve(uri: str) -> Location:
    if not isinstance(uri, str) or not uri.strip():
        raise RefusedURI(tk._("A table URI is required"))
    uri = uri.strip()
    if _UNSAFE.search(uri):
        raise RefusedURI(tk._("The table URI may not hold spaces, backslashes or control characters"))
    parsed = urlsplit(uri)
    scheme = parsed.scheme.lower()
    if scheme in ("", "file"):
        return _local(uri, parsed)
    if scheme == "s3":
        return _s3(parsed)
    raise RefusedURI(
        tk._("Only local paths and s3:// URIs under the allowed roots can be registered, not {scheme}://").format(
            scheme=scheme
        )
    )


def _no_traversal(path: str) -> None:
    if ".." in path.split("/"):
        raise RefusedURI(tk._("The table URI may not contain '..'"))


def _local(uri: str, parsed) -> Location:
    if parsed.scheme and (parsed.netloc not in ("", "localhost") or parsed.query or parsed.fragment):
        raise RefusedURI(tk._("A file:// URI names a local path: file:///path/to/table"))
    path = parsed.path if parsed.scheme else uri
    _no_traversal(path)
    if not path.startswith("/"):
        raise RefusedURI(tk._("A local table path must be absolute"))
    real = os.path.realpath(path)
    for root in allowed_roots():
        if root.startswith("s3://"):
            continue
        real_root = os.path.realpath(root)
        if os.path.commonpath([real, real_root]) == real_root:
            return Location(uri=real, scheme="file", root=real_root.rstrip("/"))
    raise RefusedURI(
        tk._("{path} is not under an allowed root (ckanext.hhs.lakehouse.allowed_roots)").format(path=path)
    )


def _s3(parsed) -> Location:
    if not parsed.netloc or parsed.query or parsed.fragment or "@" in parsed.netloc or ":" in parsed.netloc:
        raise RefusedURI(tk._("An s3:// URI is s3://bucket/path, without credentials, port or query"))
    key = parsed.path
    _no_traversal(key)
    normal = posixpath.normpath("/" + key.strip("/")) if key.strip("/") else ""
    uri = f"s3://{parsed.netloc}{normal}".rstrip("/")
    allowed = [r for r in allowed_roots() if r.startswith("s3://")]
    for root in (r.rstrip("/") for r in allowed):
        if uri == root or uri.startswith(root + "/"):
            settings = next((s for s in s3_roots() if s.root == root), None)
            if settings is None or not settings.endpoint:
                raise RefusedURI(
                    tk._("{root} has no endpoint configured (ckanext.hhs.lakehouse.s3_endpoints)").format(root=root)
                )
            return Location(uri=uri, scheme="s3", s3=settings, root=root)
    raise RefusedURI(tk._("{uri} is not under an allowed root (ckanext.hhs.lakehouse.allowed_roots)").format(uri=uri))
