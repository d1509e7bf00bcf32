"""Put diagnose.yml's real output, recorded by the faults scenario, into README.md.

    NOVAOPS_DIAGNOSE_SAMPLES=/tmp/samples make molecule
    python tools/readme-diagnose-samples.py /tmp/samples

The faults scenario (molecule/faults/tests/test_faults.py and
test_console_notes.py) writes one file per fault, SAMPLE.txt, holding the
whole ansible-playbook output. This keeps only compute1's report block and replaces, in README.md's Troubleshooting section
(between the troubleshooting:samples markers), the code blocks in SAMPLES
order. Prose between the blocks is left alone.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
README = os.path.join(ROOT, "README.md")
# In the order the README shows them.
SAMPLES = ("nova-compute-stopped", "libvirt-stopped", "rabbitmq-stopped", "nova-conf-hand-edited",
           "guest-qemu-killed", "instance-qemu-killed")
START, END = "<!-- troubleshooting:samples -->", "<!-- /troubleshooting:samples -->"
REPORT = re.compile(r"^ *(compute1: (?:healthy|UNHEALTHY).*?)(?=^\S|^ *\"|\Z)", re.M | re.S)


def report(path):
    with open(path, encoding="utf-8") as handle:
        output = handle.read()
    match = REPORT.search(output)
    if not match:
        sys.exit("%s: no compute1 report in it" % path)
    lines = match.group(1).rstrip().splitlines()
    indent = min(len(line) - len(line.lstrip()) for line in lines[1:] if line.strip()) - 2 if len(lines) > 1 else 0
    return "\n".join([lines[0].strip()] + [line[indent:] for line in lines[1:]])


def main(samples_dir):
    with open(README, encoding="utf-8") as handle:
        text = handle.read()
    head, rest = text.split(START, 1)
    section, tail = rest.split(END, 1)
    blocks = iter(report(os.path.join(samples_dir, name + ".txt")) for name in SAMPLES)
    count = len(re.findall(r"^```\n.*?^```$", section, re.M | re.S))
    if count != len(SAMPLES):
        sys.exit("README has %d sample blocks, expected %d" % (count, len(SAMPLES)))
    section = re.sub(r"^```\n.*?^```$", lambda m: "```\n%s\n```" % next(blocks), section, flags=re.M | re.S)
    with open(README, "w", encoding="utf-8") as handle:
        handle.write(head + START + section + END + tail)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
