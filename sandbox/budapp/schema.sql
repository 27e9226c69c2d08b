-- budapp's tables, for the parts of budapp the sandbox implements.
CREATE TABLE IF NOT EXISTS "user" (
    id UUID PRIMARY KEY,
    auth_id UUID NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    email VARCHAR NOT NULL UNIQUE,
    role VARCHAR NOT NULL,
    status VARCHAR NOT NULL DEFAULT 'active',
    password VARCHAR NULL,
    is_superuser BOOLEAN NOT NULL DEFAULT FALSE,
    is_reset_password BOOLEAN NOT NULL DEFAULT TRUE,
    color VARCHAR NOT NULL,
    first_login BOOLEAN NOT NULL DEFAULT TRUE,
    is_subscriber BOOLEAN NOT NULL DEFAULT FALSE,
    reset_password_attempt INTEGER NOT NULL DEFAULT 0,
    company VARCHAR(255) NULL,
    purpose VARCHAR(255) NULL,
    user_type VARCHAR NOT NULL DEFAULT 'client',
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    modified_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);
-- what Keycloak grants a user beyond its type's permissions (budapp keeps them in Keycloak, not in this table)
ALTER TABLE "user" ADD COLUMN IF NOT EXISTS granted_permissions TEXT[] NULL;
-- the Keycloak realm role the account was made with (a PATCH of budapp's role column does not change it)
ALTER TABLE "user" ADD COLUMN IF NOT EXISTS realm_role VARCHAR NULL;

CREATE TABLE IF NOT EXISTS project (
    id UUID PRIMARY KEY,
    name VARCHAR NOT NULL,
    description VARCHAR NULL,
    tags JSONB NULL,
    icon VARCHAR NULL,
    status VARCHAR NOT NULL DEFAULT 'active',
    project_type VARCHAR NOT NULL DEFAULT 'client_app',
    benchmark BOOLEAN NOT NULL DEFAULT FALSE,
    created_by UUID NOT NULL REFERENCES "user"(id),
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    modified_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);

CREATE TABLE IF NOT EXISTS project_user_association (
    project_id UUID NOT NULL REFERENCES project(id),
    user_id UUID NOT NULL REFERENCES "user"(id),
    PRIMARY KEY (project_id, user_id)
);

-- The identity provider's own store (Keycloak in the real platform).
CREATE SCHEMA IF NOT EXISTS keycloak;
CREATE TABLE IF NOT EXISTS keycloak.user_entity (
    id UUID PRIMARY KEY,
    email VARCHAR NOT NULL UNIQUE,
    password_hash VARCHAR NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);

-- Model catalog and onboarded models.
CREATE TABLE IF NOT EXISTS provider (
    id UUID PRIMARY KEY,
    name VARCHAR NOT NULL,
    description VARCHAR NOT NULL,
    type VARCHAR NOT NULL UNIQUE,
    icon VARCHAR NOT NULL,
    capabilities JSONB NOT NULL DEFAULT '[]'
);

CREATE TABLE IF NOT EXISTS cloud_model (
    id UUID PRIMARY KEY,
    name VARCHAR NOT NULL,
    description VARCHAR NULL,
    modality JSONB NOT NULL,
    source VARCHAR NOT NULL,
    provider_type VARCHAR NOT NULL DEFAULT 'cloud_model',
    uri VARCHAR NOT NULL,
    provider_id UUID NOT NULL REFERENCES provider(id),
    tags JSONB NULL,
    tasks JSONB NULL,
    supported_endpoints JSONB NOT NULL,
    is_present_in_model BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    modified_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    UNIQUE (uri, source)
);
-- catalogues seeded before the rows carried timestamps
ALTER TABLE cloud_model ADD COLUMN IF NOT EXISTS created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc');
ALTER TABLE cloud_model ADD COLUMN IF NOT EXISTS modified_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc');

CREATE TABLE IF NOT EXISTS model (
    id UUID PRIMARY KEY,
    name VARCHAR NOT NULL,
    description VARCHAR NULL,
    tags JSONB NULL,
    tasks JSONB NULL,
    author VARCHAR NULL,
    icon VARCHAR NULL,
    modality JSONB NOT NULL,
    source VARCHAR NOT NULL,
    provider_type VARCHAR NOT NULL,
    uri VARCHAR NOT NULL,
    local_path VARCHAR NULL,
    model_size BIGINT NULL,
    provider_id UUID NULL REFERENCES provider(id),
    cloud_model_id UUID NULL REFERENCES cloud_model(id),
    supported_endpoints JSONB NOT NULL DEFAULT '[]',
    status VARCHAR NOT NULL DEFAULT 'active',
    created_by UUID NOT NULL REFERENCES "user"(id),
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    modified_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);

-- Multi-step workflows.
CREATE TABLE IF NOT EXISTS workflow (
    id UUID PRIMARY KEY,
    created_by UUID NOT NULL REFERENCES "user"(id),
    status VARCHAR NOT NULL DEFAULT 'in_progress',
    workflow_type VARCHAR NOT NULL,
    title VARCHAR NULL,
    icon VARCHAR NULL,
    tag VARCHAR NULL,
    progress JSONB NULL,
    current_step INTEGER NOT NULL DEFAULT 0,
    total_steps INTEGER NOT NULL DEFAULT 0,
    reason VARCHAR NULL,
    visibility VARCHAR NOT NULL DEFAULT 'public',
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    modified_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);

CREATE TABLE IF NOT EXISTS workflow_step (
    id UUID PRIMARY KEY,
    workflow_id UUID NOT NULL REFERENCES workflow(id) ON DELETE CASCADE,
    step_number INTEGER NOT NULL,
    data JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    modified_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    UNIQUE (workflow_id, step_number)
);

-- Clusters onboarded through budcluster.
CREATE TABLE IF NOT EXISTS cluster (
    id UUID PRIMARY KEY,
    cluster_id UUID NOT NULL,
    name VARCHAR NOT NULL,
    icon VARCHAR NOT NULL,
    ingress_url VARCHAR NOT NULL,
    cluster_type VARCHAR NOT NULL DEFAULT 'ON_PREM',
    status VARCHAR NOT NULL DEFAULT 'available',
    cpu_count INTEGER NOT NULL DEFAULT 0,
    gpu_count INTEGER NOT NULL DEFAULT 0,
    hpu_count INTEGER NOT NULL DEFAULT 0,
    cpu_total_workers INTEGER NOT NULL DEFAULT 0,
    gpu_total_workers INTEGER NOT NULL DEFAULT 0,
    hpu_total_workers INTEGER NOT NULL DEFAULT 0,
    cpu_available_workers INTEGER NOT NULL DEFAULT 0,
    gpu_available_workers INTEGER NOT NULL DEFAULT 0,
    hpu_available_workers INTEGER NOT NULL DEFAULT 0,
    total_nodes INTEGER NOT NULL DEFAULT 0,
    available_nodes INTEGER NOT NULL DEFAULT 0,
    created_by UUID NOT NULL REFERENCES "user"(id),
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    modified_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);

-- Provider credentials (their secrets stored encrypted in the real platform).
CREATE TABLE IF NOT EXISTS proprietary_credential (
    id UUID PRIMARY KEY,
    name VARCHAR NOT NULL,
    type VARCHAR NOT NULL,
    provider_id UUID NULL REFERENCES provider(id),
    other_provider_creds JSONB NULL,
    user_id UUID NOT NULL REFERENCES "user"(id),
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    modified_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);

-- Deployments ("endpoints").
CREATE TABLE IF NOT EXISTS endpoint (
    id UUID PRIMARY KEY,
    project_id UUID NOT NULL REFERENCES project(id),
    model_id UUID NOT NULL REFERENCES model(id),
    cluster_id UUID NULL REFERENCES cluster(id),
    bud_cluster_id UUID NULL,
    name VARCHAR NOT NULL,
    url VARCHAR NOT NULL,
    namespace VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    credential_id UUID NULL,
    deployment_config JSONB NULL,
    supported_endpoints JSONB NOT NULL DEFAULT '[]',
    created_by UUID NOT NULL REFERENCES "user"(id),
    created_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc'),
    modified_at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'utc')
);

-- Lookups on every request path. The database outlives runs (soft-deleted rows stay), so without
-- these each run would scan more rows than the one before.
CREATE INDEX IF NOT EXISTS user_email_ci ON "user" (lower(email));
CREATE INDEX IF NOT EXISTS project_user_association_user ON project_user_association (user_id);
CREATE INDEX IF NOT EXISTS project_name_ci ON project (lower(name)) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS model_name_ci ON model (lower(name)) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS workflow_creator ON workflow (created_by, status);
CREATE INDEX IF NOT EXISTS endpoint_project ON endpoint (project_id);
CREATE INDEX IF NOT EXISTS endpoint_name ON endpoint (name);
