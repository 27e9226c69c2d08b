"""Secrets never reach logs or reports."""

import logging

from helpers.masking import MASK, install_log_masking, mask_body, mask_data, mask_headers, mask_text, register_secret

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLWJ5dGVz"


def test_jwts_api_keys_bearer_and_url_passwords_are_masked():
    text = f"token {JWT} key bud_client_AbCdEf0123456789xyz Authorization: Bearer opaque-123 url postgresql://bud:hunter2@db/x"
    masked = mask_text(text)
    for secret in (JWT, "bud_client_AbCdEf0123456789xyz", "opaque-123", "hunter2"):
        assert secret not in masked
    assert "postgresql://bud:***@db/x" in masked


def test_registered_values_are_masked_anywhere():
    register_secret("Pa55word!-unique-value")
    assert mask_text("login with Pa55word!-unique-value failed") == f"login with {MASK} failed"


def test_structured_data_masks_secret_keys_only():
    data = {
        "email": "a@b.c",
        "password": "pw",
        "token": {"access_token": "x", "expires_in": 5},
        "items": [{"refresh_token": "y"}],
    }
    masked = mask_data(data)
    assert masked == {"email": "a@b.c", "password": MASK, "token": MASK, "items": [{"refresh_token": MASK}]}
    assert data["password"] == "pw", "the original is left alone"


def test_headers_and_bodies():
    assert mask_headers({"Authorization": "Bearer abc", "Accept": "json"}) == {"Authorization": MASK, "Accept": "json"}
    assert mask_body(b'{"password": "pw", "name": "n"}') == '{"password": "***", "name": "n"}'
    assert mask_body(b"plain " + JWT.encode()) == f"plain {MASK}"
    assert mask_body(b"x" * 50, limit=10).startswith("x" * 10)


def test_log_records_are_masked(caplog):
    install_log_masking()
    register_secret("log-secret-value-42")
    with caplog.at_level(logging.INFO):
        logging.getLogger("e2e.test").info("sending %s and %s", "log-secret-value-42", JWT)
    assert "log-secret-value-42" not in caplog.text and JWT not in caplog.text
    assert MASK in caplog.text


def test_jwt_cut_short_by_a_repr_is_masked_whole():
    shortened = JWT[:20] + "..." + "c2lnbmF0dXJlLWJ5dGVzLXRhaWwtb2YtdGhlLXRva2Vu"
    masked = mask_text(f"admin_token = '{shortened}'")
    assert masked == f"admin_token = '{MASK}'"
