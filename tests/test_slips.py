"""The signed QR slip: genuine slips verify offline; every single-character change is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import slips
from app.accounts import MAX_COUNTER
from app.infra.numbering import case_number, document_number

# Every character a scanner could type into the field: the payload alphabet and its near misses.
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-:._/ "


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> slips.Signer:
    return slips.create_key_file(tmp_path_factory.mktemp("keys"), 1)


def _keys(signer: slips.Signer) -> dict[str, str]:
    return {signer.fingerprint: slips.public_key_text(signer.public_raw)}


def test_a_genuine_slip_verifies(signer: slips.Signer) -> None:
    payload = signer.sign("XJ261127-01-0042", "482913")
    assert payload.isascii() and payload == payload.upper() and len(payload) < 160
    info = slips.verify(payload, _keys(signer))
    assert (info.case_no, info.pickup_code, info.fingerprint) == ("XJ261127-01-0042", "482913", signer.fingerprint)
    assert slips.verify(f"  {payload}\n", _keys(signer)).case_no == "XJ261127-01-0042"  # scanner's Enter


def test_every_single_character_change_is_refused(signer: slips.Signer) -> None:
    payload = signer.sign("XJ261127-01-0042", "482913")
    keys = _keys(signer)
    tried = 0
    for i, original in enumerate(payload):
        for ch in ALPHABET:
            if ch == original:
                continue
            changed = payload[:i] + ch + payload[i + 1:]
            with pytest.raises(slips.SlipError):
                slips.verify(changed, keys)
            tried += 1
    assert tried > len(payload) * 50
    # Deleting or adding one character is refused as well.
    for i in range(len(payload)):
        with pytest.raises(slips.SlipError):
            slips.verify(payload[:i] + payload[i + 1:], keys)
        with pytest.raises(slips.SlipError):
            slips.verify(payload[:i] + "A" + payload[i:], keys)


def test_wrong_key_lowercase_and_garbage(signer: slips.Signer, tmp_path: Path) -> None:
    payload = signer.sign("XJ261127-01-0042", "482913")
    other = slips.create_key_file(tmp_path, 2)
    with pytest.raises(slips.SlipError, match="不属于本大厅"):
        slips.verify(payload, _keys(other))
    forged = other.sign("XJ261127-01-0042", "482913").replace(other.fingerprint, signer.fingerprint)
    with pytest.raises(slips.SlipError, match="签名不符"):
        slips.verify(forged, _keys(signer))
    with pytest.raises(slips.SlipError, match="大写锁定"):
        slips.verify(payload.lower(), _keys(signer))
    with pytest.raises(slips.SlipError, match="格式不符"):
        slips.verify("XJ261127-01-0042", _keys(signer))


@settings(max_examples=50, deadline=None)
@given(seq=st.integers(1, 99_999), counter=st.integers(0, MAX_COUNTER), pickup=st.integers(0, 999_999))
def test_any_case_number_round_trips(signer: slips.Signer, seq: int, counter: int, pickup: int) -> None:
    case_no = case_number("XJ", counter, "261127", seq)
    payload = signer.sign(case_no, f"{pickup:06d}")
    assert slips.verify(payload, _keys(signer)).case_no == case_no
    assert slips.counter_of(case_no) == counter  # the slip's key must be this counter's


@settings(max_examples=200, deadline=None)
@given(a=st.tuples(st.integers(1, MAX_COUNTER), st.integers(1, 99_999)),
       b=st.tuples(st.integers(1, MAX_COUNTER), st.integers(1, 99_999)))
def test_document_numbers_of_two_counters_never_meet(a: tuple[int, int], b: tuple[int, int]) -> None:
    # Counters 100–999 (a hall of 200 windows) set their number apart: 12 + 00001 is not 120 + 0001.
    if a != b:
        assert document_number("新经开", "acceptance", 2026, *a) != document_number("新经开", "acceptance", 2026, *b)
    assert document_number("新经开", "acceptance", 2026, 12, 10001) == "新经开受〔2026〕1210001号"
    assert document_number("新经开", "acceptance", 2026, 120, 1) == "新经开受〔2026〕120-0001号"


def test_key_file_round_trip(tmp_path: Path) -> None:
    made = slips.create_key_file(tmp_path, 7)
    assert (slips.key_path(tmp_path, 7).stat().st_mode & 0o777) == 0o600
    loaded = slips.load_key_file(tmp_path, 7)
    assert loaded is not None and loaded.fingerprint == made.fingerprint
    assert slips.load_key_file(tmp_path, 8) is None
