import pytest

from strata.models.errors import InvalidModelRef
from strata.models.layers import Layer
from strata.models.refs import ModelRef, check_name, parse_ref


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("l0/minilm-l6", ModelRef(Layer.L0_FOUNDATION, "minilm-l6")),
        ("l1/finance@2", ModelRef(Layer.L1_INDUSTRY, "finance", version=2)),
        (
            "l2/banking-intents:production",
            ModelRef(Layer.L2_TASK, "banking-intents", alias="production"),
        ),
    ],
)
def test_parse_round_trips(text: str, expected: ModelRef) -> None:
    assert parse_ref(text) == expected
    assert str(parse_ref(text)) == text


@pytest.mark.parametrize(
    "text", ["foo", "l3/x", "l0/", "l0/UPPER", "l0/x@", "l0/x@1:prod", "../etc"]
)
def test_bad_refs_name_the_value(text: str) -> None:
    with pytest.raises(InvalidModelRef) as info:
        parse_ref(text)
    assert repr(text) in info.value.message
    assert "strata models ls" in (info.value.hint or "")


def test_check_name() -> None:
    assert check_name("my-encoder.v2") == "my-encoder.v2"
    with pytest.raises(InvalidModelRef):
        check_name("Bad Name")
