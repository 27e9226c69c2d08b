"""An admin manages other users' accounts."""

import pytest

from helpers.assertions import assert_error_response, assert_status
from helpers.masking import register_secret
from helpers.naming import strong_password


@pytest.mark.priority_p1
async def test_an_admin_sets_a_colleagues_password_not_their_own(auth_api, admin_factory, user_factory, users_api):
    """
    An admin with user:manage gives a colleague a new password.

    Flow:
    1. The admin PATCHes /users/{colleague} with a new password: 200 "Successfully update current user".
    2. The colleague logs in with the new password; the old one is refused ("Incorrect email or password").
    3. The admin still logs in with their own password, and the colleague's new password does not open the admin's
       account.
    """
    admin, colleague = await admin_factory("user:manage"), await user_factory()
    new_password = strong_password()
    register_secret(new_password)
    changed = assert_status(
        await users_api.edit(admin.access_token, colleague.id, password=new_password),
        200,
    )
    assert (changed["message"], changed["user"]["id"]) == ("Successfully update current user", colleague.id)

    assert_error_response(await auth_api.login(colleague.email, colleague.password), 400, "Incorrect email or password")
    assert_status(await auth_api.login(colleague.email, new_password), 200)
    assert_status(await auth_api.login(admin.email, admin.password, user_type="admin"), 200)
    assert_error_response(
        await auth_api.login(admin.email, new_password, user_type="admin"), 400, "Incorrect email or password"
    )
