"""Cloud model onboarding (workflow_type cloud_model_onboarding): synchronous, step by step."""

import pytest

from helpers.assertions import (
    assert_detail,
    assert_error_response,
    assert_status,
    assert_success_envelope,
    assert_validation_error,
)
from helpers.models import E2E_TAG, modality_list_unlike
from helpers.naming import unique_name

pytestmark = [pytest.mark.e2e, pytest.mark.workflow]


@pytest.mark.priority_p0
async def test_cloud_model_onboarding_step_by_step(models_api, workflow_waiter, admin_token, workflow_janitor):
    """
    An admin adds a provider's model to the repository the way the UI does.

    Flow:
    1. Step 1 {provider_type: cloud_model, add_model_modality}: a workflow in progress at step 1.
    2. Step 3 {provider_id}: the provider is resolved in workflow_steps.
    3. Step 4 {cloud_model_id}: the catalog entry is resolved.
    4. Step 5 {trigger_workflow, name, tags, modality, uri}: the trigger opens step 6, which receives the new
       model's id and a success execution status, and step 7 closes the workflow: completed at step 7.
    5. The model is readable, with the catalog entry's modality (not the one the step sent), and listed under its
       provider's source only; its catalog entry is marked present and listed under that source only.
    6. Deleting the model frees the catalog entry again.
    """
    provider, candidates = await models_api.free_cloud_models(admin_token)
    cloud_model = candidates[0]
    name = unique_name("model")
    other_source = await another_source(models_api, admin_token, provider["type"])

    first = assert_status(
        await models_api.cloud_step(admin_token, 1, provider_type="cloud_model", add_model_modality=["llm"]), 200
    )
    assert_success_envelope(first, "workflow.get")
    workflow_id = first["workflow_id"]
    workflow_janitor(admin_token, workflow_id)
    assert (first["status"], first["current_step"], first["total_steps"]) == ("in_progress", 1, 5)
    assert first["workflow_steps"]["provider_type"] == "cloud_model"

    third = assert_status(await models_api.cloud_step(admin_token, 3, workflow_id, provider_id=provider["id"]), 200)
    assert third["current_step"] == 3
    assert third["workflow_steps"]["provider"]["id"] == provider["id"]

    fourth = assert_status(
        await models_api.cloud_step(admin_token, 4, workflow_id, cloud_model_id=cloud_model["id"]), 200
    )
    assert fourth["workflow_steps"]["cloud_model"]["uri"] == cloud_model["uri"]
    assert fourth["status"] == "in_progress"

    done = assert_status(
        await models_api.cloud_step(
            admin_token,
            5,
            workflow_id,
            trigger_workflow=True,
            name=name,
            tags=[E2E_TAG],
            modality=modality_list_unlike(cloud_model),
            uri=cloud_model["uri"],
        ),
        200,
    )
    model_id = done["workflow_steps"]["model_id"]
    try:
        assert (done["status"], done["current_step"]) == ("completed", 7)
        assert done["workflow_steps"]["workflow_execution_status"] == {
            "status": "success",
            "message": "Model successfully added to the repository",
        }

        final = await workflow_waiter(admin_token).wait_for_workflow(
            workflow_type="cloud_model_onboarding", workflow_id=workflow_id, timeout=30
        )
        assert final["workflow_steps"]["model"]["name"] == name

        model = assert_status(await models_api.get(admin_token, model_id), 200)
        assert_success_envelope(model, "model.get")
        assert (model["model"]["name"], model["model"]["uri"]) == (name, cloud_model["uri"])
        assert (model["model"]["provider_type"], model["model"]["source"]) == ("cloud_model", provider["type"])
        assert model["model"]["modality"] == cloud_model["modality"]

        listed = assert_status(await models_api.onboarded(admin_token, name=name, source=provider["type"]), 200)
        assert ([m["model"]["id"] for m in listed["models"]], listed["total_record"]) == ([model_id], 1)
        elsewhere = assert_status(await models_api.onboarded(admin_token, name=name, source=other_source), 200)
        assert (elsewhere["models"], elsewhere["total_record"]) == ([], 0)

        assert (await catalog_entry(models_api, admin_token, cloud_model))["is_present_in_model"] is True
        others = assert_status(await models_api.catalog(admin_token, source=other_source, limit=500), 200)
        assert cloud_model["id"] not in {m["model"]["id"] for m in others["models"]}
        assert {m["model"]["source"] for m in others["models"]} == {other_source}
    finally:
        deleted = assert_status(await models_api.delete(admin_token, model_id), 200)
    assert deleted == {"object": "model.delete", "message": "Model deleted successfully"}
    assert_error_response(await models_api.get(admin_token, model_id), 404, "Model not found")
    assert (await catalog_entry(models_api, admin_token, cloud_model))["is_present_in_model"] is False


async def catalog_entry(models_api, token: str, cloud_model: dict) -> dict:
    """The catalog entry as its source's listing shows it; the listing holds that source's entries only."""
    catalog = assert_status(await models_api.catalog(token, source=cloud_model["source"], limit=500), 200)
    assert {m["model"]["source"] for m in catalog["models"]} == {cloud_model["source"]}
    assert catalog["total_record"] == len(catalog["models"])
    [entry] = [m["model"] for m in catalog["models"] if m["model"]["id"] == cloud_model["id"]]
    return entry


async def another_source(models_api, token: str, source: str) -> str:
    """The type of a provider other than ``source`` that has catalog entries."""
    providers = assert_status(await models_api.providers(token, limit=100), 200)["providers"]
    for provider in providers:
        if (
            provider["type"] != source
            and assert_status(await models_api.catalog(token, source=provider["type"], limit=1), 200)["models"]
        ):
            return provider["type"]
    raise AssertionError(f"no provider besides {source!r} has catalog entries")


@pytest.mark.priority_p1
async def test_a_step_without_any_model_data_is_invalid(models_api, admin_token, workflow_janitor):
    """A later step must carry at least one model field: otherwise the body itself is refused (422 value_error)."""
    first = assert_status(await models_api.cloud_step(admin_token, 1, provider_type="cloud_model"), 200)
    workflow_janitor(admin_token, first["workflow_id"])
    response = await models_api.cloud_step(admin_token, 2, first["workflow_id"], trigger_workflow=True)
    [error] = assert_validation_error(response, (("body",), "value_error"))
    assert error["msg"] == (
        "Value error, At least one of provider_type, provider_id, modality, uri, tags, name "
        "is required when workflow_id is provided"
    )


@pytest.mark.priority_p1
async def test_trigger_without_required_data_is_refused(models_api, admin_token, workflow_janitor, workflows_api):
    """Triggering before provider, tags and name were given answers 400 naming exactly what is missing."""
    first = assert_status(await models_api.cloud_step(admin_token, 1, provider_type="cloud_model"), 200)
    workflow_id = first["workflow_id"]
    workflow_janitor(admin_token, workflow_id)
    response = await models_api.cloud_step(admin_token, 2, workflow_id, trigger_workflow=True, uri="gpt-e2e")
    assert_error_response(response, 400, "Missing required data: provider_id, tags, name, source")
    record = assert_status(await workflows_api.get(admin_token, workflow_id), 200)
    assert (record["status"], record["current_step"], record["workflow_steps"]["model_id"]) == ("in_progress", 3, None)


@pytest.mark.priority_p1
async def test_model_names_are_unique(models_api, admin_token, test_model, workflow_janitor):
    """A step naming an existing model exactly is refused; the same name in another case is only refused at the
    trigger (the step's check is case-sensitive, the trigger's is not)."""
    exact = await models_api.cloud_step(admin_token, 1, provider_type="cloud_model", name=test_model["name"])
    assert_error_response(exact, 400, "Model name already exists")

    other_case = test_model["name"].upper()
    first = assert_status(
        await models_api.cloud_step(admin_token, 1, provider_type="cloud_model", name=other_case), 200
    )
    workflow_janitor(admin_token, first["workflow_id"])
    assert first["workflow_steps"]["name"] == other_case
    provider, _ = await models_api.free_cloud_models(admin_token)
    response = await models_api.cloud_step(
        admin_token, 2, first["workflow_id"], trigger_workflow=True, provider_id=provider["id"], tags=[E2E_TAG]
    )
    assert_error_response(response, 400, "Model name already exists")


@pytest.mark.priority_p1
async def test_an_onboarded_uri_is_refused_with_its_source(
    models_api, admin_token, test_model, workflow_janitor, workflows_api
):
    """
    An admin cannot start adding a model that is already onboarded from the same provider.

    Flow:
    1. Step 1 {provider_type: cloud_model} opens a workflow.
    2. Step 2 {provider_id of another provider, uri of the onboarded model}: accepted (the pair is new).
    3. Step 3 {provider_id of the model's own provider}: with the uri of step 2 that is the onboarded pair: 400
       "Duplicate model uri and source found"; the workflow stays at step 2.
    """
    providers = {
        p["type"]: p for p in assert_status(await models_api.providers(admin_token, limit=100), 200)["providers"]
    }
    own = providers[test_model["source"]]
    other = next(p for kind, p in providers.items() if kind != test_model["source"])
    first = assert_status(await models_api.cloud_step(admin_token, 1, provider_type="cloud_model"), 200)
    workflow_id = first["workflow_id"]
    workflow_janitor(admin_token, workflow_id)

    second = assert_status(
        await models_api.cloud_step(admin_token, 2, workflow_id, provider_id=other["id"], uri=test_model["uri"]), 200
    )
    assert (second["current_step"], second["workflow_steps"]["uri"]) == (2, test_model["uri"])
    refused = await models_api.cloud_step(admin_token, 3, workflow_id, provider_id=own["id"])
    assert_error_response(refused, 400, "Duplicate model uri and source found")
    record = assert_status(await workflows_api.get(admin_token, workflow_id), 200)
    assert (record["current_step"], record["workflow_steps"]["provider"]["id"]) == (2, other["id"])


@pytest.mark.priority_p1
async def test_onboarding_needs_model_manage(models_api, auth_token):
    """No token: 403 from the internal-auth branch (deployments set APP_API_TOKEN); a client user: 403."""
    anonymous = await models_api.cloud_step("", 1)  # no Authorization header
    assert_detail(anonymous, 403, "Forbidden - Invalid internal token")
    client = await models_api.cloud_step(auth_token, 1, provider_type="cloud_model")
    assert_detail(client, 403, "Insufficient permissions for this operation")
