"""Rebuild seeds/templates/*.json from the TracePass field-specification reference files.

Run by hand when the reference changes:
    python tools/build_seed_templates.py ../shared/reference/dpp-templates
The service and the tests never read the reference; they read only seeds/.
templateId is derived from the slug so it is stable across rebuilds and re-seeding.
"""

import hashlib
import json
import sys
from pathlib import Path

FIELD_KEYS = (
    "key",
    "label",
    "group",
    "dataType",
    "unit",
    "required",
    "min",
    "max",
    "minLength",
    "maxLength",
    "pattern",
    "enum",
    "accessLevel",
    "regulationRef",
    "anticipated",
    "requiredBy",
)


def template_id(slug: str) -> str:
    return hashlib.sha256(f"tracepass-template:{slug}".encode()).hexdigest()[:24]


def main(reference_dir: str) -> None:
    out_dir = Path(__file__).resolve().parent.parent / "seeds" / "templates"
    out_dir.mkdir(parents=True, exist_ok=True)
    for path in sorted(Path(reference_dir).glob("*.json")):
        ref = json.loads(path.read_text(encoding="utf-8"))
        fields = [{k: f[k] for k in FIELD_KEYS if k in f} for f in ref["fields"]]
        seed = {
            "templateId": template_id(ref["slug"]),
            "slug": ref["slug"],
            "aliases": ref["aliases"],
            "label": ref["label"],
            "version": ref["version"],
            "regulation": ref["regulation"],
            "groups": ref["groups"],
            "source": "TracePass DPP field specifications, Apache-2.0 (see seeds/ATTRIBUTION.md)",
            "fields": fields,
        }
        target = out_dir / f"{ref['slug']}.json"
        target.write_text(json.dumps(seed, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{ref['slug']}: {len(fields)} fields")


if __name__ == "__main__":
    main(sys.argv[1])
