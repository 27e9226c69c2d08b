"""Local model onboarding (workflow_type local_model_onboarding): budmodel extracts, budapp records."""

import re

import pytest

from helpers.assertions import assert_status
from helpers.data_factory import SIMULATED_ORG, local_model_uri
from helpers.models import budmodel_download_path, start_local_onboarding
from helpers.naming import unique_name
from helpers.waiting import WaitFailed

pytestmark = [pytest.mark.e2e, pytest.mark.workflow]

EXTRACTION_STEPS = ["validation", "model_download", "model_extraction", "save_model"]


@pytest.mark.priority_p0
async def test_hugging_face_model_is_extracted_and_added(
    models_api, workflow_waiter, admin_token, workflow_janitor, settings
):
    """
    An admin adds a Hugging Face model; budmodel downloads and extracts it asynchronously.

    Flow:
    1. Step 1 {provider_type: hugging_face}; step 2 {name, uri, author, tags}; step 3 {trigger_workflow}.
    2. The trigger answers at once with model_extraction_events (budmodel's steps), status in_progress.
    3. The workflow completes when budmodel reports results; the model exists with source "local"
       (every model budmodel extracted) and budmodel's download directory as its local path.
    4. Deleting it (budapp has budmodel delete the download) answers "Model deleted successfully".
    """
    name = unique_name("local-model")
    started = await start_local_onboarding(models_api, admin_token, name, local_model_uri(settings, name))
    workflow_janitor(admin_token, started["workflow_id"])
    events = started["workflow_steps"]["model_extraction_events"]
    assert (events["workflow_name"], [s["id"] for s in events["steps"]]) == ("run_model_extraction", EXTRACTION_STEPS)
    assert started["status"] == "in_progress"

    final = await workflow_waiter(admin_token).wait_for_workflow(
        workflow_type="local_model_onboarding", workflow_id=started["workflow_id"]
    )
    model_id = final["workflow_steps"]["model_id"]
    try:
        reported = {
            s["id"]: s["payload"]["content"]["status"]
            for s in final["workflow_steps"]["model_extraction_events"]["steps"]
        }
        assert reported == dict.fromkeys(EXTRACTION_STEPS, "COMPLETED")
        model = assert_status(await models_api.get(admin_token, model_id), 200)["model"]
        assert (model["name"], model["provider_type"], model["source"]) == (name, "hugging_face", "local")
        assert re.fullmatch(budmodel_download_path(name), model["local_path"] or ""), (
            f"local path {model['local_path']!r} is not budmodel's download directory for {name!r}"
        )
    finally:
        deleted = assert_status(await models_api.delete(admin_token, model_id), 200)
    assert (deleted["object"], deleted["message"]) == ("model.delete", "Model deleted successfully")


@pytest.mark.priority_p1
async def test_unknown_repository_fails_validation(models_api, workflow_waiter, admin_token, workflow_janitor):
    """A URI budmodel cannot find fails the validation step; budapp's status stays in_progress."""
    name = unique_name("local-model")
    started = await start_local_onboarding(models_api, admin_token, name, f"{SIMULATED_ORG}/no-such-model-{name}")
    workflow_janitor(admin_token, started["workflow_id"])
    with pytest.raises(WaitFailed, match="model_extraction_events step 'validation' FAILED"):
        await workflow_waiter(admin_token).wait_for_workflow(
            workflow_type="local_model_onboarding", workflow_id=started["workflow_id"]
        )
