#!/usr/bin/env python3
"""Checks that every Swift target imports exactly what Package.swift says it depends on.

For each target of `swift package dump-package`, the modules its sources import must be among its declared
dependencies (targets, products, or modules that come with the toolchain), and every declared dependency must
be imported somewhere in it. The package manager's own check lets imports through that come in transitively;
this one does not. Exit 1, naming each target and module, when they differ.
"""
import json
import os
import re
import subprocess
import sys

# Modules of the toolchain and the platform: importable without a declared dependency.
TOOLCHAIN = {
    "Swift", "Foundation", "FoundationEssentials", "FoundationNetworking", "FoundationInternationalization",
    "Dispatch", "Glibc", "Musl", "Darwin", "Synchronization", "Testing", "XCTest", "_Concurrency",
    "PackageDescription", "os",
}
IMPORT = re.compile(
    r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|package|internal|fileprivate|private)\s+)?"
    r"import\s+(?:(?:typealias|struct|class|enum|protocol|let|var|func)\s+)?([A-Za-z_][A-Za-z0-9_]*)")


def dependency_names(target):
    names = []
    for dependency in target.get("dependencies", []):
        for kind in ("byName", "target", "product"):
            if kind in dependency:
                names.append(dependency[kind][0])
    return names


def imports_of(directory):
    found = {}
    for root, _, files in os.walk(directory):
        for name in files:
            if not name.endswith(".swift"):
                continue
            path = os.path.join(root, name)
            with open(path, encoding="utf-8") as source:
                in_string = False  # inside a multi-line string literal (test fixtures hold Python, say)
                for number, line in enumerate(source, 1):
                    if line.count('"""') % 2 == 1:
                        in_string = not in_string
                        continue
                    match = None if in_string else IMPORT.match(line)
                    if match:
                        found.setdefault(match.group(1), f"{path}:{number}")
    return found


def main():
    package = json.loads(subprocess.run(["swift", "package", "dump-package"], check=True, capture_output=True,
                                        text=True).stdout)
    problems = []
    # A test may depend on an executable only to have it built (it runs the binary): nothing to import.
    executables = {target["name"] for target in package["targets"] if target["type"] == "executable"}
    for target in package["targets"]:
        if target["type"] not in ("regular", "executable", "test"):
            continue
        directory = target.get("path") or os.path.join("Tests" if target["type"] == "test" else "Sources",
                                                         target["name"])
        if not any(name.endswith(".swift") for _, _, files in os.walk(directory) for name in files):
            continue  # a C target
        declared = set(dependency_names(target))
        imported = imports_of(directory)
        for module, where in sorted(imported.items()):
            if module not in declared and module not in TOOLCHAIN and module != target["name"]:
                problems.append(f"{where}: {target['name']} imports {module}, which Package.swift does not declare")
        for module in sorted(declared - set(imported) - executables):
            problems.append(f"{target['name']}: declares {module} in Package.swift but never imports it")
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"imports match Package.swift in {sum(1 for t in package['targets'] if t['type'] != 'system-target')} targets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
