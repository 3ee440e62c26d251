"""The label-content binding: one flipped bit anywhere breaks it; only the originator signs."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519
from joserfc import jws
from joserfc.jwk import OKPKey

from setu.errors import IntegrityError
from setu.security import partners as pt
from setu.security.binding import (
    ALGORITHM,
    BINDING_TYPE,
    Binding,
    bind,
    content_sha256,
    verify,
)
from setu.security.errors import BindingError, SignerNotOriginatorError
from setu.security.labels import Label, canonical_json
from setu.security.node import NodeIdentity, TrustedKey, export_public, init_node, load_node

CONTENT = canonical_json({"mmsi": 419000123, "lat": 18.9, "lon": 72.8, "note": "極秘 track"})


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> tuple[NodeIdentity, NodeIdentity, Path]:
    base = tmp_path_factory.mktemp("nodes")
    ind = init_node(base / "ind", nation="IND", name="mumbai")
    jpn = init_node(base / "jpn", nation="JPN", name="yokosuka")
    bundle = base / "jpn.json"
    bundle.write_text(json.dumps(export_public(jpn)), encoding="utf-8")
    pt.add_partner(base / "ind", bundle, nation="JPN", name="yokosuka")
    return ind, jpn, base / "ind"


def label_of(node: NodeIdentity, level: str = "SECRET") -> Label:
    return Label(
        originator_nation=node.nation,
        originator_node=node.name,
        classification=level,
        releasable_to=frozenset({"IND", "JPN"}),
        purposes=frozenset({"MDA"}),
        caveats=frozenset({"ORCON"}),
        created_at=datetime(2025, 6, 1, 12, tzinfo=UTC),
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def compact(header: dict[str, str], payload: bytes, key: ed25519.Ed25519PrivateKey) -> str:
    """A compact JWS (RFC 7515 §7.1) built by hand, for headers joserfc would not sign."""
    signing_input = f"{b64(canonical_json(header))}.{b64(payload)}"
    return f"{signing_input}.{b64(key.sign(signing_input.encode('ascii')))}"


def flip_bit(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


def test_round_trip_on_the_receiving_node(nodes) -> None:  # type: ignore[no-untyped-def]
    ind, jpn, ind_dir = nodes
    binding = bind(label_of(jpn, "極秘"), CONTENT, jpn)
    received = Binding.from_dict(json.loads(json.dumps(binding.to_dict())))
    assert verify(received, CONTENT, pt.trusted_keys(ind_dir)) == label_of(jpn, "極秘")
    own = bind(label_of(ind), CONTENT, ind)
    assert verify(own, CONTENT, pt.trusted_keys(ind_dir)).originator_node == "mumbai"


def test_jws_header_and_payload_form(nodes) -> None:  # type: ignore[no-untyped-def]
    ind, _, _ = nodes
    binding = bind(label_of(ind), CONTENT, ind)
    header, payload, signature = binding.jws.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    assert json.loads(base64.urlsafe_b64decode(pad(header))) == {
        "alg": ALGORITHM,
        "kid": ind.key_id,
        "typ": BINDING_TYPE,
    }
    assert base64.urlsafe_b64decode(pad(payload)) == canonical_json(
        {"content_sha256": content_sha256(CONTENT), "label": label_of(ind).to_dict()}
    )
    assert len(base64.urlsafe_b64decode(pad(signature))) == 64  # Ed25519 (RFC 8032 §5.1.6)


@pytest.mark.parametrize("index", [0, 7, len(CONTENT) // 2, len(CONTENT) - 1])
def test_one_flipped_content_bit_breaks_it(nodes, index: int) -> None:  # type: ignore[no-untyped-def]
    ind, _, ind_dir = nodes
    binding = bind(label_of(ind), CONTENT, ind)
    with pytest.raises(BindingError, match="content does not match"):
        verify(binding, flip_bit(CONTENT, index), pt.trusted_keys(ind_dir))


def test_altered_carried_label_breaks_it(nodes) -> None:  # type: ignore[no-untyped-def]
    ind, _, ind_dir = nodes
    binding = bind(label_of(ind), CONTENT, ind)
    for changed in (
        replace(binding.label, classification="CONFIDENTIAL"),
        replace(binding.label, releasable_to=frozenset({"IND", "JPN", "USA"})),
        replace(binding.label, caveats=frozenset()),
    ):
        with pytest.raises(BindingError, match="differs from the signed label"):
            verify(replace(binding, label=changed), CONTENT, pt.trusted_keys(ind_dir))


@pytest.mark.parametrize("part", [0, 1, 2])
def test_one_flipped_bit_in_any_jws_part_breaks_it(nodes, part: int) -> None:  # type: ignore[no-untyped-def]
    ind, _, ind_dir = nodes
    binding = bind(label_of(ind), CONTENT, ind)
    parts = binding.jws.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    raw = base64.urlsafe_b64decode(pad(parts[part]))
    parts[part] = base64.urlsafe_b64encode(flip_bit(raw, len(raw) // 2)).rstrip(b"=").decode()
    with pytest.raises(BindingError):
        verify(replace(binding, jws=".".join(parts)), CONTENT, pt.trusted_keys(ind_dir))


def test_flipped_label_bit_in_payload_is_a_bad_signature(nodes) -> None:  # type: ignore[no-untyped-def]
    ind, _, ind_dir = nodes
    binding = bind(label_of(ind), CONTENT, ind)
    head, payload, sig = binding.jws.split(".")
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    at = data.index(b"SECRET")
    forged = data[:at] + b"SECRET".replace(b"S", b"T", 1) + data[at + 6 :]
    token = ".".join([head, base64.urlsafe_b64encode(forged).rstrip(b"=").decode(), sig])
    with pytest.raises(BindingError, match="does not verify"):
        verify(replace(binding, jws=token), CONTENT, pt.trusted_keys(ind_dir))


def test_unknown_signer(nodes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, ind_dir = nodes
    stranger = init_node(tmp_path, nation="JPN", name="yokosuka")  # same name, other key
    binding = bind(label_of(stranger), CONTENT, stranger)
    with pytest.raises(BindingError, match="unknown key"):
        verify(binding, CONTENT, pt.trusted_keys(ind_dir))


def test_signer_must_be_the_originator(nodes) -> None:  # type: ignore[no-untyped-def]
    ind, jpn, ind_dir = nodes
    with pytest.raises(SignerNotOriginatorError):
        bind(label_of(ind), CONTENT, jpn)  # a JPN node signing for an IND originator
    with pytest.raises(SignerNotOriginatorError):
        bind(replace(label_of(ind), originator_node="kochi"), CONTENT, ind)
    # A trusted partner key hand-crafting a binding for another originator is refused on verify.
    label = label_of(ind)
    payload = canonical_json({"content_sha256": content_sha256(CONTENT), "label": label.to_dict()})
    token = jws.serialize_compact(
        {"alg": ALGORITHM, "kid": jpn.key_id, "typ": BINDING_TYPE},
        payload,
        OKPKey.import_key(jpn.signing_key),
        algorithms=[ALGORITHM],
    )
    forged = Binding(label, content_sha256(CONTENT), jpn.key_id, token)
    with pytest.raises(BindingError, match="only the originator may sign"):
        verify(forged, CONTENT, pt.trusted_keys(ind_dir))


def test_other_algorithms_and_types_refused(nodes) -> None:  # type: ignore[no-untyped-def]
    ind, _, ind_dir = nodes
    payload = canonical_json(
        {"content_sha256": content_sha256(CONTENT), "label": label_of(ind).to_dict()}
    )
    for header in (
        {"alg": "EdDSA", "kid": ind.key_id, "typ": BINDING_TYPE},  # deprecated, RFC 9864
        {"alg": ALGORITHM, "kid": ind.key_id, "typ": "JWT"},
    ):
        token = compact(header, payload, ind.signing_key)
        forged = Binding(label_of(ind), content_sha256(CONTENT), ind.key_id, token)
        with pytest.raises(BindingError, match="only"):
            verify(forged, CONTENT, pt.trusted_keys(ind_dir))


def test_non_canonical_payload_refused(nodes) -> None:  # type: ignore[no-untyped-def]
    ind, _, ind_dir = nodes
    body = {"content_sha256": content_sha256(CONTENT), "label": label_of(ind).to_dict()}
    token = jws.serialize_compact(
        {"alg": ALGORITHM, "kid": ind.key_id, "typ": BINDING_TYPE},
        json.dumps(body, indent=1).encode(),
        OKPKey.import_key(ind.signing_key),
        algorithms=[ALGORITHM],
    )
    forged = Binding(label_of(ind), content_sha256(CONTENT), ind.key_id, token)
    with pytest.raises(BindingError, match="canonical"):
        verify(forged, CONTENT, pt.trusted_keys(ind_dir))


def test_key_id_swapped_to_another_trusted_key(nodes) -> None:  # type: ignore[no-untyped-def]
    ind, jpn, ind_dir = nodes
    binding = bind(label_of(ind), CONTENT, ind)
    with pytest.raises(BindingError, match="unknown key"):
        verify(replace(binding, key_id=jpn.key_id), CONTENT, pt.trusted_keys(ind_dir))
    bogus = {
        ind.key_id: TrustedKey(
            "IND", "mumbai", ind.key_id, ed25519.Ed25519PrivateKey.generate().public_key()
        )
    }
    with pytest.raises(BindingError, match="does not verify"):
        verify(binding, CONTENT, bogus)


def test_malformed_inputs(nodes) -> None:  # type: ignore[no-untyped-def]
    ind, _, ind_dir = nodes
    binding = bind(label_of(ind), CONTENT, ind)
    with pytest.raises(BindingError, match="malformed"):
        verify(replace(binding, jws="not a jws"), CONTENT, pt.trusted_keys(ind_dir))
    with pytest.raises(BindingError, match="malformed"):
        Binding.from_dict({"label": {}, "jws": ""})
    assert issubclass(BindingError, IntegrityError)
    assert load_node(ind_dir).key_id == ind.key_id
