from strata.core.errors import InvalidInput, NotFound, StrataError, error_body


def test_error_carries_message_hint_and_context() -> None:
    err = NotFound('Model "l1/x@7" not found', hint="Try: strata models ls", ref="l1/x@7")
    assert err.message == 'Model "l1/x@7" not found'
    assert err.hint == "Try: strata models ls"
    assert err.context == {"ref": "l1/x@7"}
    assert "hint: Try" in str(err)
    assert isinstance(err, StrataError)


def test_error_body_shape_is_pinned() -> None:
    body = error_body(InvalidInput("bad value 3", hint="pass 1-2"))
    assert body == {
        "ok": False,
        "status": 400,
        "error": {"code": "invalid_input", "message": "bad value 3", "hint": "pass 1-2"},
    }
