"""The nodes' configuration files: the demo template (rootfs/etc/sipha/demo.ini, the same file
`make run-single` uses) with each node's addresses filled in, plus the [ha] and [network]
sections of the lab's topology. Also the pair key."""

import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEMO_TEMPLATE = os.path.join(REPO, "rootfs", "etc", "sipha", "demo.ini")

_INLINE_COMMENT = re.compile(r"\s[;#]")


def parse_ini(text, path="<template>"):
    """{section: {option: value}} in file order; comments (`;`/`#` at the start of a value or
    after whitespace, as sipha reads them) dropped."""
    sections, current = {}, None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in ";#":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), {})
            continue
        if current is None or "=" not in line:
            raise ValueError(f"{path}:{number}: not an INI option line: {raw!r}")
        key, _, value = line.partition("=")
        value = value.strip()
        value = "" if value[:1] in (";", "#") else _INLINE_COMMENT.split(value)[0].strip()
        current[key.strip()] = value
    return sections


def render_template(path, values):
    """The template's text with every @NAME@ replaced by values[NAME]; an @NAME@ without a value
    is an error."""
    with open(path) as f:
        text = f.read()

    def substitute(match):
        name = match.group(1)
        if name not in values:
            raise ValueError(f"{path}: no value for @{name}@")
        return str(values[name])

    return re.sub(r"@([A-Z_]+)@", substitute, text)


def merge(sections, overrides):
    """sections updated with {section: {option: value}}; a value None removes the option."""
    for section, options in (overrides or {}).items():
        target = sections.setdefault(section, {})
        for key, value in options.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value
    return sections


def write_ini(path, sections, header=()):
    """Writes {section: {option: value}} atomically (write, fsync, rename), as the web UI does."""
    lines = [f"; {line}" for line in header]
    for section, options in sections.items():
        if lines:
            lines.append("")
        lines.append(f"[{section}]")
        lines += [f"{key} = {value}" for key, value in options.items()]
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(lines) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def write_pair_key(path):
    """32 random bytes as 64 hex digits, mode 0600 from the start (docs/heartbeat.md)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(os.urandom(32).hex() + "\n")
    os.chmod(path, 0o600)
    return path
