"""tools/galaxy-importer/check.py's verdict on galaxy-importer's output: any
ERROR, any WARNING not in allowed-warnings.txt, and any module or filter
Galaxy would show without documentation fail `make publish-check`."""

import importlib.util
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_SPEC = importlib.util.spec_from_file_location(
    "importer_check", os.path.join(ROOT, "tools", "galaxy-importer", "check.py"))
check = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(check)

OUTPUT = """Importing with galaxy-importer 0.4.44
Loading module vnc_check
WARNING: plugins/module_utils/_proc.py:256:45: W503 line break before binary operator
WARNING: playbooks/site.yml:3:7: syntax-check[unknown-module]: couldn't resolve module/action 'x.y.z'
ERROR: Error running ansible-doc: cmd="ansible-doc" returncode="1"
Importer processing completed successfully
"""


def test_only_the_allowed_warnings_pass():
    problems, accepted = check.findings(OUTPUT, check.allowed_patterns())
    assert accepted == ["WARNING: plugins/module_utils/_proc.py:256:45: W503 line break before binary operator"]
    assert problems == ["WARNING: playbooks/site.yml:3:7: syntax-check[unknown-module]: couldn't resolve "
                        "module/action 'x.y.z'",
                        'ERROR: Error running ansible-doc: cmd="ansible-doc" returncode="1"']


def test_an_error_is_never_allowed_even_when_a_pattern_matches_it():
    problems, accepted = check.findings("ERROR: plugins/x.py:1:1: W503 line break before binary operator\n",
                                        check.allowed_patterns())
    assert accepted == [] and len(problems) == 1


def test_every_allowed_pattern_is_explained():
    with open(check.ALLOWED, encoding="utf-8") as handle:
        lines = [line.rstrip("\n") for line in handle]
    for index, line in enumerate(lines):
        if line.strip() and not line.startswith("#"):
            assert lines[index - 1].startswith("# "), "no comment above %r" % line


def test_modules_and_filters_without_docs_for_galaxy_are_found():
    result = {"docs_blob": {"contents": [
        {"content_type": "module", "content_name": "vnc_check", "doc_strings": {"doc": {}}},
        {"content_type": "filter", "content_name": "health", "doc_strings": None},
        {"content_type": "module_utils", "content_name": "_rfb", "doc_strings": None},
        {"content_type": "role", "content_name": "vnc_client", "doc_strings": None},
    ]}}
    assert check.undocumented(result) == ["filter health"]
