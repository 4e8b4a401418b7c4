#!/usr/bin/env python3
"""Static check of a Dockerfile against its build context (no docker engine needed).

    /usr/bin/python3 scripts/check-dockerfile.py [--dockerfile infra/Dockerfile] [--context .]

Checks:
  * every stage named in FROM ... / COPY --from=... exists (defined earlier, by name or index), or is an image
    reference (contains ':' '/' or '@');
  * every COPY/ADD source (without --from) exists in the context and is not left out by .dockerignore (a
    folder must keep at least one file), and does not leave the context;
  * the final stage has a USER that is not root (name root, uid 0) and a HEALTHCHECK (not NONE).
Prints one line per problem and a summary; exit status 0 when clean, 1 on problems, 2 on usage errors.
Standard library only.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import sys
from dataclasses import dataclass, field


# --- .dockerignore ---------------------------------------------------------------------------------------

@dataclass
class IgnoreRule:
    pattern: str
    exclusion: bool  # "!pattern": re-include
    regex: re.Pattern


def _pattern_regex(pattern: str) -> re.Pattern:
    """Docker's pattern syntax (moby/patternmatcher): '**' any number of path segments, '*' and '?' within one
    segment, '[...]' classes, '\\' escapes."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if i + 1 < n and pattern[i + 1] == "*":
                i += 2
                if i < n and pattern[i] == "/":
                    i += 1
                    out.append("(?:.*/)?")   # '**/' : zero or more folders
                else:
                    out.append(".*")          # trailing '**'
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            j = pattern.find("]", i + 1)
            if j == -1:
                out.append(re.escape(c))
            else:
                cls = pattern[i + 1:j]
                if cls.startswith("^") or cls.startswith("!"):
                    cls = "^" + cls[1:]
                out.append("[" + cls + "]")
                i = j
        elif c == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("^" + "".join(out) + "$")


def _clean(path: str) -> str:
    path = os.path.normpath(path.replace("\\", "/")).replace("\\", "/")
    path = path.lstrip("/")
    return "" if path == "." else path


def load_dockerignore(context: str) -> list[IgnoreRule]:
    rules: list[IgnoreRule] = []
    path = os.path.join(context, ".dockerignore")
    if not os.path.exists(path):
        return rules
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            exclusion = line.startswith("!")
            if exclusion:
                line = line[1:].strip()
            pat = _clean(line)
            if not pat:
                continue
            rules.append(IgnoreRule(pat, exclusion, _pattern_regex(pat)))
    return rules


def is_ignored(rel: str, rules: list[IgnoreRule]) -> bool:
    """Last matching rule wins; a rule matches a path or any of its parent folders (as docker does)."""
    rel = _clean(rel)
    if not rel:
        return False
    parts = rel.split("/")
    candidates = ["/".join(parts[: k + 1]) for k in range(len(parts))]
    ignored = False
    for rule in rules:
        if any(rule.regex.match(c) for c in candidates):
            ignored = not rule.exclusion
    return ignored


def surviving_files(context: str, rel: str, rules: list[IgnoreRule], limit: int = 1_000_000) -> list[str]:
    """Files under the folder rel (relative to context) that the build context keeps."""
    kept = []
    base = os.path.join(context, rel)
    for root, dirs, files in os.walk(base):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            r = _clean(os.path.relpath(os.path.join(root, name), context))
            if not is_ignored(r, rules):
                kept.append(r)
                if len(kept) >= limit:
                    return kept
    return kept


# --- Dockerfile parsing ----------------------------------------------------------------------------------

@dataclass
class Instruction:
    line: int
    keyword: str
    args: str


@dataclass
class Stage:
    index: int
    image: str
    name: str | None
    line: int
    instructions: list[Instruction] = field(default_factory=list)


def parse_instructions(text: str) -> list[Instruction]:
    """Joins continuation lines ('\\' at the end), drops comments and parser directives."""
    out: list[Instruction] = []
    buf, start = "", 0
    for no, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue  # comment lines inside a continued instruction are skipped by docker too
        if not buf:
            start = no
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        keyword, _, args = buf.strip().partition(" ")
        out.append(Instruction(start, keyword.upper(), args.strip()))
        buf = ""
    if buf:
        keyword, _, args = buf.strip().partition(" ")
        out.append(Instruction(start, keyword.upper(), args.strip()))
    return out


_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))")


def substitute(value: str, args: dict[str, str]) -> str:
    return _VAR.sub(lambda m: args.get(m.group(1) or m.group(2), m.group(0)), value)


def split_flags(args: str) -> tuple[dict[str, str], list[str]]:
    """'--from=build --chown=1:1 a b c' -> ({'from': 'build', 'chown': '1:1'}, ['a', 'b', 'c']); JSON form too."""
    flags: dict[str, str] = {}
    rest = args.strip()
    while rest.startswith("--"):
        token, _, rest = rest.partition(" ")
        key, _, val = token[2:].partition("=")
        flags[key.lower()] = val
        rest = rest.strip()
    if rest.startswith("["):
        try:
            items = json.loads(rest)
            return flags, [str(x) for x in items]
        except json.JSONDecodeError:
            pass
    return flags, rest.split()


def parse_stages(instructions: list[Instruction]) -> tuple[list[Stage], dict[str, str], list[str]]:
    stages: list[Stage] = []
    global_args: dict[str, str] = {}
    problems: list[str] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            flags, words = split_flags(ins.args)
            if not words:
                problems.append(f"line {ins.line}: FROM without an image")
                continue
            image = substitute(words[0], global_args)
            name = None
            if len(words) >= 3 and words[1].upper() == "AS":
                name = words[2].lower()
            elif len(words) != 1:
                problems.append(f"line {ins.line}: cannot read 'FROM {ins.args}'")
            stages.append(Stage(len(stages), image, name, ins.line))
        elif not stages:
            if ins.keyword == "ARG":
                for decl in ins.args.split():
                    key, _, default = decl.partition("=")
                    global_args[key] = default.strip('"')
            else:
                problems.append(f"line {ins.line}: {ins.keyword} before the first FROM")
        else:
            stages[-1].instructions.append(ins)
    return stages, global_args, problems


# --- checks ----------------------------------------------------------------------------------------------

def _is_image_reference(ref: str) -> bool:
    return any(c in ref for c in ":/@")


def _stage_lookup(stages: list[Stage], upto: int, ref: str) -> Stage | None:
    ref_l = ref.lower()
    for s in stages[:upto]:
        if s.name == ref_l or str(s.index) == ref_l:
            return s
    return None


@dataclass
class Report:
    stages: int = 0
    copies: int = 0
    sources: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check(dockerfile: str, context: str) -> Report:
    rep = Report()
    with open(dockerfile, encoding="utf-8") as f:
        instructions = parse_instructions(f.read())
    stages, _, problems = parse_stages(instructions)
    rep.problems.extend(problems)
    rep.stages = len(stages)
    if not stages:
        rep.problems.append("no FROM: the Dockerfile defines no stage")
        return rep

    names = [s.name for s in stages if s.name]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        rep.problems.append(f"stage name '{dup}' is used more than once")

    rules = load_dockerignore(context)
    context_abs = os.path.realpath(context)

    for s in stages:
        # FROM <earlier stage> is a stage reference; anything else must look like an image.
        if _stage_lookup(stages, s.index, s.image) is None and not _is_image_reference(s.image) and s.image.lower() != "scratch":
            if any(t.name == s.image.lower() for t in stages[s.index:]):
                rep.problems.append(f"line {s.line}: FROM {s.image}: stage is defined later")
            else:
                rep.notes.append(f"line {s.line}: FROM {s.image}: no such stage; taken as an image name")
        for ins in s.instructions:
            if ins.keyword not in ("COPY", "ADD"):
                continue
            rep.copies += 1
            flags, words = split_flags(ins.args)
            if len(words) < 2:
                rep.problems.append(f"line {ins.line}: {ins.keyword} needs a source and a destination")
                continue
            sources = words[:-1]
            if "from" in flags:
                ref = flags["from"]
                if _stage_lookup(stages, s.index, ref) is None:
                    if any(t.name == ref.lower() for t in stages[s.index:]) or ref.isdigit():
                        rep.problems.append(f"line {ins.line}: {ins.keyword} --from={ref}: stage is not defined before this one")
                    elif not _is_image_reference(ref):
                        rep.problems.append(f"line {ins.line}: {ins.keyword} --from={ref}: no such stage")
                continue
            for src in sources:
                rep.sources += 1
                if ins.keyword == "ADD" and re.match(r"^[a-z]+://|^git@", src):
                    continue  # remote source
                if "$" in src:
                    rep.notes.append(f"line {ins.line}: source {src} uses a variable; not checked")
                    continue
                rel = _clean(src)
                full = os.path.realpath(os.path.join(context, rel))
                if full != context_abs and not full.startswith(context_abs + os.sep):
                    rep.problems.append(f"line {ins.line}: source {src} is outside the build context")
                    continue
                if any(c in rel for c in "*?["):
                    matched = [p for p in _glob_context(context, rel) if not is_ignored(p, rules)]
                    if not matched:
                        rep.problems.append(f"line {ins.line}: source {src} matches no file in the build context")
                    continue
                if not os.path.exists(full):
                    rep.problems.append(f"line {ins.line}: source {src} does not exist")
                elif os.path.isdir(full):
                    if not surviving_files(context, rel, rules, limit=1):
                        rep.problems.append(f"line {ins.line}: source {src} is empty after .dockerignore")
                elif is_ignored(rel, rules):
                    rep.problems.append(f"line {ins.line}: source {src} is excluded by .dockerignore")

    final = stages[-1]
    users = [i for i in final.instructions if i.keyword == "USER"]
    if not users:
        rep.problems.append(f"final stage (line {final.line}): no USER; the image would run as root")
    else:
        user = users[-1].args.split(":")[0].strip()
        if user in ("root", "0", ""):
            rep.problems.append(f"line {users[-1].line}: final stage runs as root (USER {users[-1].args})")
    checks = [i for i in final.instructions if i.keyword == "HEALTHCHECK"]
    if not checks:
        rep.problems.append(f"final stage (line {final.line}): no HEALTHCHECK")
    elif checks[-1].args.strip().upper() == "NONE":
        rep.problems.append(f"line {checks[-1].line}: HEALTHCHECK NONE in the final stage")
    return rep


def _glob_context(context: str, pattern: str) -> list[str]:
    out = []
    for root, dirs, files in os.walk(context):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in dirs + files:
            rel = _clean(os.path.relpath(os.path.join(root, name), context))
            if fnmatch.fnmatchcase(rel, pattern):
                out.append(rel)
    return out


def main(argv: list[str] | None = None) -> int:
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dockerfile", default=os.path.join(repo, "infra", "Dockerfile"))
    ap.add_argument("--context", default=repo)
    a = ap.parse_args(argv)
    if not os.path.isfile(a.dockerfile):
        print(f"check-dockerfile: error: {a.dockerfile} not found", file=sys.stderr)
        return 2
    rep = check(a.dockerfile, a.context)
    for n in rep.notes:
        print(f"check-dockerfile: note: {n}")
    for p in rep.problems:
        print(f"check-dockerfile: problem: {p}")
    status = "ok" if not rep.problems else f"{len(rep.problems)} problem(s)"
    print(f"check-dockerfile: {os.path.relpath(a.dockerfile, a.context)}: {rep.stages} stage(s), "
          f"{rep.copies} COPY/ADD, {rep.sources} context source(s) checked: {status}")
    return 0 if not rep.problems else 1


if __name__ == "__main__":
    sys.exit(main())
