"""Health, the OpenAPI document, the docs page and error bodies."""


def test_health_reports_database_and_scheduler(api):
    r = api.client.get("/api/health")
    assert r.status_code == 200
    assert r.json["database"] == "ok" and r.json["schema_revision"]
    assert r.json["scheduler"]["running_here"] is False


def test_openapi_document_lists_every_endpoint(api):
    doc = api.client.get("/api/openapi.json").json
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for path, method in [("/api/tasks", "get"), ("/api/tasks/{task_id}/complete", "post"),
                         ("/api/dossiers", "post"), ("/api/dossiers/{dossier_id}/attachments", "post"),
                         ("/api/auth/login", "post"), ("/api/procedures", "get"), ("/api/health", "get")]:
        assert method in paths[path], (path, method)
    complete = paths["/api/tasks/{task_id}/complete"]["post"]
    assert set(complete["responses"]) >= {"200", "400", "401", "403", "404", "409", "422"}
    assert "application/problem+json" in complete["responses"]["422"]["content"]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_docs_page_works_offline(api):
    page = api.client.get("/api/docs")
    assert page.status_code == 200 and b"/api/openapi.json" in page.data
    asset = api.client.get("/api/docs/static/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.data) > 100_000


def test_unknown_routes_and_methods_are_problems(api):
    r = api.client.get("/api/nothing-here")
    assert r.status_code == 404 and r.headers["Content-Type"] == "application/problem+json"
    r = api.client.delete("/api/tasks")
    assert r.status_code == 405 and r.json["type"] == "urn:motcua:problem:method-not-allowed"
