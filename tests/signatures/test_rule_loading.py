"""A broken rule file is a load error that names the file, the rule and the fix."""
from __future__ import annotations

import textwrap

import pytest

from chipwatch.errors import RuleError
from chipwatch.signatures import build_ruleset

GOOD = """
  - id: stack.nccl.env
    signal: stack.nccl
    message: NCCL env
    patterns: ['NCCL_[A-Z]+=']
    keywords: [NCCL_]
    examples:
      match: ['NCCL_DEBUG=INFO', 'export NCCL_ALGO=Ring']
      no_match: ['nccl', 'NCCL']
"""


def load(tmp_path, body: str, name: str = "x.yaml", *, engine=None):
    d = tmp_path / "rules"
    d.mkdir(exist_ok=True)
    (d / name).write_text("rules:\n" + textwrap.dedent(body))
    return build_ruleset(d, engine=engine)


def expect(tmp_path, body, *fragments):
    with pytest.raises(RuleError) as exc:
        load(tmp_path, body)
    msg = str(exc.value)
    for frag in fragments:
        assert frag in msg, msg
    assert "\n" not in msg


def test_good_rule_loads_with_both_engines(tmp_path):
    hs = load(tmp_path, GOOD)
    assert hs.engine == "hyperscan"
    re2 = load(tmp_path, GOOD, engine="re2")
    assert hs.hash == re2.hash
    data = b"x\nexport NCCL_ALGO=Ring\nNCCL_DEBUG=INFO NCCL_X=1\n"
    assert hs.find(data) == re2.find(data)
    assert [f.line for f in hs.find(data)] == [2, 3]


def test_typo_key(tmp_path):
    expect(tmp_path, GOOD.replace("keywords:", "keyword:"), "x.yaml", "stack.nccl.env", "'keyword'", "did you mean 'keywords'")


def test_duplicate_id(tmp_path):
    expect(tmp_path, GOOD + GOOD, "duplicate rule id")


def test_signal_not_in_vocabulary(tmp_path):
    expect(tmp_path, GOOD.replace("signal: stack.nccl", "signal: stack.nvlinkk").replace("id: stack.nccl.env", "id: stack.nvlinkk.env"), "not in the vocabulary")


def test_id_must_start_with_signal(tmp_path):
    expect(tmp_path, GOOD.replace("id: stack.nccl.env", "id: stack.cuda.env"), "must start with its signal")


@pytest.mark.parametrize("pattern", [r"(?<=x)NCCL_", r"(NCCL_)\1", r"NCCL_(?=A)"])
def test_non_linear_patterns_are_refused(tmp_path, pattern):
    expect(tmp_path, GOOD.replace("'NCCL_[A-Z]+='", f"'{pattern}'"), "stack.nccl.env", "RE2")


def test_pattern_without_its_keyword(tmp_path):
    expect(tmp_path, GOOD.replace("keywords: [NCCL_]", "keywords: [hccl]"), "contains none of its keywords")


def test_too_few_examples(tmp_path):
    expect(tmp_path, GOOD.replace("no_match: ['nccl', 'NCCL']", "no_match: ['nccl']"), "at least two")


def test_bad_yaml_and_bad_shape(tmp_path):
    expect(tmp_path, "  - id: [unclosed\n", "not valid YAML")
    d = tmp_path / "rules"
    (d / "x.yaml").write_text("- just a list\n")
    with pytest.raises(RuleError, match="one key, 'rules'"):
        build_ruleset(d)


def test_hash_changes_with_content(tmp_path):
    a = load(tmp_path, GOOD)
    b = load(tmp_path, GOOD.replace("NCCL env", "NCCL environment"))
    assert a.hash != b.hash


def test_adversarial_input_is_linear(tmp_path):
    import time

    rs = load(tmp_path, GOOD.replace("'NCCL_[A-Z]+='", "'(a|aa)+b'").replace("keywords: [NCCL_]", "keywords: [a]")
              .replace("match: ['NCCL_DEBUG=INFO', 'export NCCL_ALGO=Ring']", "match: ['aab', 'ab']").replace("no_match: ['nccl', 'NCCL']", "no_match: ['x', 'y']"))
    data = b"a" * 200_000
    t = time.perf_counter()
    assert rs.find(data) == []
    assert time.perf_counter() - t < 2.0
