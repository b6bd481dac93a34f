"""Mapping files: how a CRM or ATS export is read, written in YAML rather than code.

```yaml
kind: events                      # tracker | leads | events | calls | consultants
description: HubSpot deal stage history
rename:                           # export header -> leadtrack field (or milestone code)
  deal_id: lead_id
  date_entered: event_date
  value: milestone
date_formats: ["%Y-%m-%d %H:%M:%S"]   # tried before the usual UK / ISO formats
values:                           # export value -> leadtrack value, per field
  milestone:
    appointmentscheduled: cvs_received
unmapped_milestones: skip         # skip (count, do not load) or reject (the default)
constants:                        # fields the export lacks, the same for every row
  consultant: Unassigned
keep_rows_where:                  # load only rows whose column holds one of these values
  _fivetran_active: ["TRUE", "true"]
lookups:                          # join another file of the same export by a key
  - file: job_application.csv     # relative to the mapped file
    match: {application_id: application_id}   # column here: column there
    take: {job_id: job_id}                    # column there: new column here
```
Presets ship in `ingest/presets/`; `--mapping hubspot_deal_stages` names one, a path names a
file of your own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ingest.contracts import KINDS
from ingest.errors import IngestError

PRESETS = Path(__file__).parent / "presets"


@dataclass(frozen=True)
class Lookup:
    """Columns taken from another file by a key."""

    file: str
    match: dict[str, str]
    take: dict[str, str]


@dataclass(frozen=True)
class Mapping:
    """How to read one kind of export; see the module's documentation for the YAML."""

    name: str
    kind: str | None = None
    description: str = ""
    rename: dict[str, str] = field(default_factory=dict)
    date_formats: tuple[str, ...] = ()
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    unmapped_milestones: str = "reject"
    constants: dict[str, str] = field(default_factory=dict)
    keep_rows_where: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lookups: tuple[Lookup, ...] = ()


def preset_names() -> list[str]:
    """The mappings that ship with leadtrack."""
    return sorted(path.stem for path in PRESETS.glob("*.yml"))


def load_mapping(name_or_path: str | Path) -> Mapping:
    """A mapping from a preset's name or a YAML file's path; a clear error when it is wrong."""
    path = Path(name_or_path)
    if not path.exists():
        preset = PRESETS / f"{name_or_path}.yml"
        if not preset.exists():
            raise IngestError(
                path,
                "no such mapping file or preset; presets: " + ", ".join(preset_names()),
            )
        path = preset
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise IngestError(path, f"the mapping is not valid YAML: {error}") from error
    known = set(Mapping.__dataclass_fields__) - {"name"}
    unknown = set(spec) - known
    if unknown:
        raise IngestError(
            path,
            f"unknown mapping key(s) {', '.join(sorted(unknown))}; known: "
            + ", ".join(sorted(known)),
        )
    kind = spec.get("kind")
    if kind is not None and kind not in KINDS:
        raise IngestError(path, f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if spec.get("unmapped_milestones", "reject") not in ("reject", "skip"):
        raise IngestError(path, "unmapped_milestones must be 'reject' or 'skip'")
    return Mapping(
        name=path.stem,
        kind=kind,
        description=spec.get("description", ""),
        rename={str(key): str(value) for key, value in (spec.get("rename") or {}).items()},
        date_formats=tuple(spec.get("date_formats") or ()),
        values={
            str(column): {str(key): str(value) for key, value in mapping.items()}
            for column, mapping in (spec.get("values") or {}).items()
        },
        unmapped_milestones=spec.get("unmapped_milestones", "reject"),
        constants={str(key): str(value) for key, value in (spec.get("constants") or {}).items()},
        keep_rows_where={
            str(column): tuple(
                str(value) for value in (values if isinstance(values, list) else [values])
            )
            for column, values in (spec.get("keep_rows_where") or {}).items()
        },
        lookups=tuple(
            Lookup(file=lookup["file"], match=dict(lookup["match"]), take=dict(lookup["take"]))
            for lookup in spec.get("lookups") or ()
        ),
    )
