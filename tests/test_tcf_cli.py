"""`gateway tcf decode STRING...` and `gateway tcf decode -`: one JSON object per string, with
the field names of ../shared/testdata/iabtcf/tcf_vectors.json; {"error": ...} on the line of
a string that does not decode, and exit status 1."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from gateway.policy.consent.tcf import TCFError, decode
from tests import conftest
from tests.policy.consent.test_tcf import core, encode, mismatches, vendor_section

OWN = [
    encode(core()),
    encode(core(purposes=frozenset({1, 2, 3, 4, 7}), vendors=vendor_section({755, 756}))),
    encode(core(vendors=vendor_section({1, 2, 3, 900}, ranges=True))),
]
CANARY = "CANARYCANARY"


def tcf(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", "tcf", "decode", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def lines(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def vectors() -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """Field names, the version 2 vectors that decode, and the strings that must not."""
    path = conftest.testdata("iabtcf") / "tcf_vectors.json"
    document = json.loads(path.read_text("utf-8"))
    # "snake_case versions of ... names: version, created, ..., policy_version (TcfPolicyVersion)"
    listed = document["field_conventions"]["names"].split(": ", 1)[1]
    names = [name.split()[0] for name in listed.split(",")]
    good, bad = [], []
    for vector in document["vectors"]:
        try:
            decode(vector["tc_string"])
        except TCFError:
            bad.append(vector["tc_string"])
        else:
            good.append(vector)
    return names, good, bad


def test_real_strings_decode_to_the_vectors_fields_and_expectations() -> None:
    names, good, _ = vectors()
    assert len(names) == 26 and "vendor_consents" in names
    result = tcf(*[v["tc_string"] for v in good])
    assert result.returncode == 0, result.stderr
    decoded = lines(result)
    assert len(decoded) == len(good) >= 20
    for vector, record in zip(good, decoded, strict=True):
        assert sorted(record) == sorted(names), vector["id"]
        assert record == decode(vector["tc_string"]).as_dict(), vector["id"]
        expected = {k: v for k, v in vector["expected"].items() if k != "expect_error"}
        assert not mismatches(decode(vector["tc_string"]), expected), vector["id"]
        for key, want in expected.items():
            if "__" not in key:
                assert record[key] == want, (vector["id"], key)


def test_strings_that_must_not_decode_print_an_error_on_their_line() -> None:
    _, good, bad = vectors()
    assert {"CA==", "Bg", "A", "z"} <= set(bad)
    strings = [good[0]["tc_string"], *bad, good[1]["tc_string"]]
    result = tcf(*strings)
    assert result.returncode == 1
    decoded = lines(result)
    assert len(decoded) == len(strings)
    assert decoded[0]["version"] == 2 and decoded[-1]["version"] == 2
    for record in decoded[1:-1]:
        assert list(record) == ["error"] and record["error"]


def test_stdin_one_string_a_line() -> None:
    _, good, bad = vectors()
    strings = [v["tc_string"] for v in good[:5]]
    stdin = "\n".join(strings[:2]) + "\n\n  " + strings[2] + "  \r\n" + "\n".join(strings[3:])
    from_stdin = tcf("-", stdin=stdin)
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert lines(from_stdin) == [decode(s).as_dict() for s in strings]
    with_error = tcf("-", stdin=f"{strings[0]}\n{bad[0]}\n")
    assert with_error.returncode == 1
    assert [list(r) for r in lines(with_error)][1] == ["error"]


def test_own_strings_without_third_party_data() -> None:
    result = tcf(*OWN)
    assert result.returncode == 0, result.stderr
    decoded = lines(result)
    assert decoded == [decode(s).as_dict() for s in OWN]
    assert decoded[1]["purpose_consents"] == [1, 2, 3, 4, 7]
    assert decoded[1]["vendor_consents"] == [755, 756]
    assert decoded[2]["vendor_consents"] == [1, 2, 3, 900]


def test_errors_name_the_problem_not_the_string() -> None:
    texts = [CANARY + "!", "C" + CANARY, f"{OWN[0]}.{CANARY}", "", "-x-", "ü" + CANARY]
    result = tcf("--", *texts, OWN[0])
    assert result.returncode == 1
    *errors, decoded = lines(result)
    assert len(errors) == len(texts) and decoded["version"] == 2
    for error in errors:
        assert list(error) == ["error"] and error["error"] and CANARY not in error["error"]


def test_mixed_arguments_and_stdin_and_undecodable_bytes() -> None:
    process = subprocess.run(
        [sys.executable, "-m", "gateway", "tcf", "decode", OWN[0], "-"],
        input=OWN[1].encode() + b"\n\xff\xfe\n",
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert process.returncode == 1
    records = [json.loads(line) for line in process.stdout.splitlines()]
    assert records[:2] == [decode(OWN[0]).as_dict(), decode(OWN[1]).as_dict()]
    assert list(records[2]) == ["error"]
