"""Write each role's variable table into README.md from meta/argument_specs.yml.

    python tools/role-vars-table.py          # rewrite the tables in README.md
    python tools/role-vars-table.py --check  # exit 1 when README.md is stale

The tables sit between `<!-- vars:ROLE -->` and `<!-- /vars:ROLE -->`.
"""

import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")


def _cell(text):
    text = " ".join(str(text).split())
    text = re.sub(r"[CI]\(([^)]*)\)", r"`\1`", text)
    return text.replace("|", "\\|")


def table(role):
    with open(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml"), encoding="utf-8") as handle:
        options = yaml.safe_load(handle)["argument_specs"]["main"]["options"]
    rows = ["| Variable | Default | Description |", "| --- | --- | --- |"]
    for name, spec in options.items():
        if spec.get("required"):
            default = "**required**"
        elif "default" in spec:
            value = spec["default"]
            if isinstance(value, str) and " " in value and not value.startswith("{{"):
                default = value  # a description of a computed default
            else:
                default = "`%s`" % yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
        else:
            default = "unset"
        description = spec.get("description", "")
        if isinstance(description, list):
            description = " ".join(description)
        if spec.get("no_log"):
            description += " (secret)" if "Secret" not in description else ""
        if spec.get("choices"):
            description += " Choices: %s." % ", ".join("`%s`" % c for c in spec["choices"])
        rows.append("| `%s` | %s | %s |" % (name, _cell(default), _cell(description)))
    return "\n".join(rows)


def render(text):
    for role in sorted(os.listdir(os.path.join(ROOT, "roles"))):
        pattern = re.compile(r"(<!-- vars:%s -->\n)(?:.*?\n)?(<!-- /vars:%s -->)" % (role, role), re.S)
        text = pattern.sub(lambda m, r=role: m.group(1) + table(r) + "\n" + m.group(2), text)
    return text


def main(argv):
    with open(README, encoding="utf-8") as handle:
        current = handle.read()
    wanted = render(current)
    if "--check" in argv:
        if wanted != current:
            print("README.md variable tables are stale: run python tools/role-vars-table.py")
            return 1
        return 0
    with open(README, "w", encoding="utf-8") as handle:
        handle.write(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
